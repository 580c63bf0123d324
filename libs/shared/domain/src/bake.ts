import { z } from 'zod';

/**
 * The bake window: after a deploy or redeploy succeeds in an environment that has one, the API
 * watches Prometheus for its length (the service's alerts there, and the catalog's checks) and
 * gives a verdict: healthy at the end, or failed at the first finding. A failed bake marks the
 * deployment failed; `onFailure` says whether the platform then rolls back or pings the requester.
 */
const checkSchema = z
  .strictObject({
    /** Shown in the verdict: "error-rate was 0.12 (above 0.05)". */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$/, {
      message: 'must be a short name (letters, digits, space . _ -; at most 40)',
    }),
    /**
     * An instant PromQL query; `{service}` and `{environment}` are replaced by the catalog names
     * (which are plain lowercase words, so they cannot change the query's shape).
     */
    query: z.string().min(1).max(2000),
    /** The check fails when any series is above this… */
    failAbove: z.number().finite().optional(),
    /** …or below this. */
    failBelow: z.number().finite().optional(),
  })
  .refine((check) => check.failAbove !== undefined || check.failBelow !== undefined, {
    message: 'needs failAbove or failBelow (or both)',
  });

export const bakeSchema = z.strictObject({
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
  /** `ping` (default): the requester is pinged with a Roll back button; `rollback`: automatic. */
  onFailure: z.enum(['ping', 'rollback']).default('ping'),
  checks: z.array(checkSchema).max(10).default([]),
});

export type BakePolicy = z.output<typeof bakeSchema>;
export type BakeCheck = BakePolicy['checks'][number];

export type BakeStatus = 'baking' | 'healthy' | 'failed';

/** What a failed bake then did. */
export type BakeAction = 'rolled-back' | 'pinged' | 'rollback-refused';

/** A bake as the deployment message shows it. */
export interface BakeView {
  status: BakeStatus;
  startedAt: number;
  endsAt: number;
  /** Failed: what was found ("ApiHighErrorRate fired 3m 0s after the deploy"). */
  finding: string | null;
  action: BakeAction | null;
  /** The action's detail: the rollback's target, or why it was not made. */
  actionDetail: string | null;
}

/** A check's query for one service and environment. */
export function checkQuery(check: BakeCheck, service: string, environment: string): string {
  return check.query.replaceAll('{service}', service).replaceAll('{environment}', environment);
}

/** An alert as the bake reads it (Prometheus's alerting rules). */
export interface BakeAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: number;
}

export interface BakeFinding {
  /** When it was found to hold (an alert's activeAt; a check's time of reading). */
  at: number;
  /** "ApiHighErrorRate fired", "error-rate was 0.12 (above 0.05)". */
  what: string;
}

/**
 * The alerts that fail a bake of `service` in `environment`: firing (not pending), labelled with
 * both, and active since the deployment was requested (one already firing before it is not its
 * doing); `info` ones are left out, as for the correlation. The earliest first.
 */
export function failingAlerts(
  alerts: readonly BakeAlert[],
  target: { service: string; environment: string; since: number },
): BakeFinding[] {
  return alerts
    .filter(
      (a) =>
        a.state === 'firing' &&
        a.labels['service'] === target.service &&
        a.labels['environment'] === target.environment &&
        a.activeAt >= target.since &&
        a.labels['severity'] !== 'info' &&
        a.labels['severity'] !== 'none',
    )
    .sort((a, b) => a.activeAt - b.activeAt)
    .map((a) => ({ at: a.activeAt, what: `${a.labels['alertname'] ?? 'an alert'} fired` }));
}

/** A check's reading against its thresholds: the finding, or null when every series passes. */
export function failingCheck(
  check: BakeCheck,
  values: readonly number[],
  at: number,
): BakeFinding | null {
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    const shown = Number.isInteger(value) ? String(value) : value.toPrecision(3);
    if (check.failAbove !== undefined && value > check.failAbove)
      return { at, what: `${check.name} was ${shown} (above ${check.failAbove})` };
    if (check.failBelow !== undefined && value < check.failBelow)
      return { at, what: `${check.name} was ${shown} (below ${check.failBelow})` };
  }
  return null;
}
