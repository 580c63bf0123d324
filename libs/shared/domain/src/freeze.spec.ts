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
});
