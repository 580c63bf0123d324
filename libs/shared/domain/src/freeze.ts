import { z } from 'zod';

/**
 * Change freezes: windows in an environment's own time zone during which a deploy or redeploy
 * to a new version needs an approver other than the requester. Restoring (a rollback, a
 * restart of what already runs) is never frozen.
 *
 * Two shapes, both read as wall-clock times in `timeZone`:
 * - weekly: `{ from: 'fri 16:00', to: 'mon 09:00' }` (may wrap over the end of the week);
 * - dates: `{ from: '2026-12-20 00:00', to: '2027-01-04 09:00' }`.
 * A window includes its start and excludes its end.
 */
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const WEEKLY_PATTERN = /^(mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):([0-5]\d)$/;
const DATE_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):([0-5]\d)$/;

const weeklyMoment = z.string().regex(WEEKLY_PATTERN, {
  message: "must be a weekday and a 24-hour time such as 'fri 16:00'",
});
const dateMoment = z.string().regex(DATE_PATTERN, {
  message: "must be a date and a 24-hour time such as '2026-12-20 00:00'",
});

const timeZone = z.string().refine(isTimeZone, {
  message: 'must be an IANA time zone such as Europe/Berlin or UTC',
});

export const freezeSchema = z
  .strictObject({
    /** Shown in the approval request and the refusal: `year-end`, `weekend`. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$/, {
      message: 'must be 1–40 letters, digits, spaces, dots, dashes or underscores',
    }),
    timeZone: timeZone.default('UTC'),
    weekly: z.strictObject({ from: weeklyMoment, to: weeklyMoment }).optional(),
    dates: z.strictObject({ from: dateMoment, to: dateMoment }).optional(),
  })
  .superRefine((freeze, ctx) => {
    if (!freeze.weekly === !freeze.dates) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of weekly or dates' });
    }
    if (freeze.weekly && freeze.weekly.from === freeze.weekly.to) {
      ctx.addIssue({ code: 'custom', path: ['weekly', 'to'], message: 'must differ from from' });
    }
    if (freeze.dates && freeze.dates.from >= freeze.dates.to) {
      ctx.addIssue({ code: 'custom', path: ['dates', 'to'], message: 'must be after from' });
    }
  });

export type Freeze = z.output<typeof freezeSchema>;

/** A freeze in force at an instant, with words for the people it holds back. */
export interface ActiveFreeze {
  name: string;
  /** `weekly fri 16:00 → mon 09:00 (Europe/Berlin)` or `2026-12-20 00:00 → 2027-01-04 09:00 (UTC)`. */
  window: string;
}

/** The first of `freezes` in force at `now` (milliseconds since the epoch), or null. */
export function activeFreeze(freezes: readonly Freeze[], now: number): ActiveFreeze | null {
  for (const freeze of freezes) {
    const local = wallClock(now, freeze.timeZone);
    if (freeze.weekly) {
      const at = local.minuteOfWeek;
      const from = minuteOfWeek(freeze.weekly.from);
      const to = minuteOfWeek(freeze.weekly.to);
      const inside = from < to ? at >= from && at < to : at >= from || at < to;
      if (inside)
        return {
          name: freeze.name,
          window: `weekly ${freeze.weekly.from} → ${freeze.weekly.to} (${freeze.timeZone})`,
        };
    } else if (freeze.dates) {
      // Both sides are zero-padded "YYYY-MM-DD HH:MM": they compare as strings.
      if (local.stamp >= freeze.dates.from && local.stamp < freeze.dates.to)
        return {
          name: freeze.name,
          window: `${freeze.dates.from} → ${freeze.dates.to} (${freeze.timeZone})`,
        };
    }
  }
  return null;
}

/** How a refusal or an approval request names the freeze. */
export function describeFreeze(freeze: ActiveFreeze): string {
  return `change freeze "${freeze.name}" (${freeze.window})`;
}

function minuteOfWeek(moment: string): number {
  const [, day, hour, minute] = WEEKLY_PATTERN.exec(moment) as RegExpExecArray;
  return (
    WEEKDAYS.indexOf(day as (typeof WEEKDAYS)[number]) * 1440 + Number(hour) * 60 + Number(minute)
  );
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(now: number, zone: string): { stamp: string; minuteOfWeek: number } {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(now))) parts[part.type] = part.value;
  const weekday = WEEKDAYS.indexOf(
    (parts.weekday ?? '').toLowerCase() as (typeof WEEKDAYS)[number],
  );
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  return {
    stamp: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`,
    minuteOfWeek: weekday * 1440 + hour * 60 + minute,
  };
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
