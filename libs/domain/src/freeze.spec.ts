import { catalogSchema, CatalogInput } from './catalog';
import { activeFreeze, describeFreeze, Freeze, freezeSchema } from './freeze';

const at = (iso: string) => Date.parse(iso);

function freeze(input: unknown): Freeze {
  return freezeSchema.parse(input);
}

describe('change freezes', () => {
  const weekend = freeze({
    name: 'weekend',
    timeZone: 'Europe/Berlin',
    weekly: { from: 'fri 16:00', to: 'mon 09:00' },
  });
  const lunch = freeze({ name: 'lunch', weekly: { from: 'wed 12:00', to: 'wed 13:00' } });
  const yearEnd = freeze({
    name: 'year-end',
    timeZone: 'America/New_York',
    dates: { from: '2026-12-20 00:00', to: '2027-01-04 09:00' },
  });

  it('holds a weekly window that wraps over the end of the week, in its own time zone', () => {
    // 2026-12-04 is a Friday; Berlin is UTC+1 in December.
    expect(activeFreeze([weekend], at('2026-12-04T14:59:00Z'))).toBeNull();
    expect(activeFreeze([weekend], at('2026-12-04T15:00:00Z'))).toEqual({
      name: 'weekend',
      window: 'weekly fri 16:00 → mon 09:00 (Europe/Berlin)',
    });
    expect(activeFreeze([weekend], at('2026-12-06T23:00:00Z'))?.name).toBe('weekend');
    expect(activeFreeze([weekend], at('2026-12-07T07:59:00Z'))?.name).toBe('weekend');
    expect(activeFreeze([weekend], at('2026-12-07T08:00:00Z'))).toBeNull();
    expect(activeFreeze([weekend], at('2026-12-09T12:00:00Z'))).toBeNull();
  });

  it('holds a weekly window inside one day, defaulting to UTC', () => {
    expect(activeFreeze([lunch], at('2026-12-02T11:59:00Z'))).toBeNull();
    expect(activeFreeze([lunch], at('2026-12-02T12:00:00Z'))?.name).toBe('lunch');
    expect(activeFreeze([lunch], at('2026-12-02T13:00:00Z'))).toBeNull();
    expect(activeFreeze([lunch], at('2026-12-09T12:30:00Z'))?.name).toBe('lunch');
  });

  it('holds a date range read as wall-clock time in its zone, start included, end excluded', () => {
    // New York is UTC-5 in winter.
    expect(activeFreeze([yearEnd], at('2026-12-20T04:59:00Z'))).toBeNull();
    expect(activeFreeze([yearEnd], at('2026-12-20T05:00:00Z'))?.name).toBe('year-end');
    expect(activeFreeze([yearEnd], at('2027-01-04T13:59:00Z'))?.name).toBe('year-end');
    expect(activeFreeze([yearEnd], at('2027-01-04T14:00:00Z'))).toBeNull();
  });

  it('names the first freeze in force, with its window', () => {
    const found = activeFreeze([lunch, yearEnd, weekend], at('2026-12-25T16:00:00Z'));
    expect(found?.name).toBe('year-end');
    expect(describeFreeze(found!)).toBe(
      'change freeze "year-end" (2026-12-20 00:00 → 2027-01-04 09:00 (America/New_York))',
    );
    expect(activeFreeze([], at('2026-12-25T16:00:00Z'))).toBeNull();
  });

  it('lists every malformed freeze in the catalog with its path', () => {
    const catalog: CatalogInput = {
      project: 'chatops',
      github: { owner: 'acme', repo: 'chatops' },
      services: [
        {
          name: 'api',
          workflow: 'deploy.yml',
          image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/chatops-api',
          healthUrl: 'https://{environment}.example.com/health',
        },
      ],
      environments: [
        {
          name: 'prod',
          freezes: [
            {
              name: 'zone',
              timeZone: 'Mars/Olympus',
              weekly: { from: 'fri 16:00', to: 'mon 09:00' },
            },
            {
              name: 'both',
              weekly: { from: 'fri 16:00', to: 'mon 09:00' },
              dates: { from: '2026-12-20 00:00', to: '2026-12-21 00:00' },
            },
            { name: 'neither' },
            { name: 'backwards', dates: { from: '2026-12-21 00:00', to: '2026-12-20 00:00' } },
            { name: 'hour', weekly: { from: 'friday 4pm', to: 'mon 24:00' } },
            { name: '<@&123> ping', weekly: { from: 'fri 16:00', to: 'mon 09:00' } },
          ],
        },
      ],
      roles: { sre: { '*': ['*'] } },
    };
    const result = catalogSchema.safeParse(catalog);
    expect(result.success).toBe(false);
    const problems = result.success
      ? []
      : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'environments.0.freezes.0.timeZone: must be an IANA time zone such as Europe/Berlin or UTC',
        'environments.0.freezes.1: needs exactly one of weekly or dates',
        'environments.0.freezes.2: needs exactly one of weekly or dates',
        'environments.0.freezes.3.dates.to: must be after from',
        "environments.0.freezes.4.weekly.from: must be a weekday and a 24-hour time such as 'fri 16:00'",
        "environments.0.freezes.4.weekly.to: must be a weekday and a 24-hour time such as 'fri 16:00'",
        'environments.0.freezes.5.name: must be 1–40 letters, digits, spaces, dots, dashes or underscores',
      ]),
    );
    expect(problems).toHaveLength(7);
  });
});
