import { bakeSchema, checkQuery, failingAlerts, failingCheck } from './bake';

const problems = (input: unknown) => {
  const result = bakeSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('bake policy', () => {
  it('pings by default, takes checks with a threshold, and lists every problem', () => {
    expect(bakeSchema.parse({ minutes: 10 })).toEqual({
      minutes: 10,
      onFailure: 'ping',
      checks: [],
    });
    expect(
      problems({
        minutes: 0,
        onFailure: 'revert',
        checks: [
          { name: 'error-rate', query: 'x' },
          { name: '', query: '', failAbove: 1 },
          { name: 'ok', query: 'up', failBelow: Infinity },
        ],
      }),
    ).toEqual([
      expect.stringMatching(/^minutes: /),
      expect.stringMatching(/^onFailure: /),
      'checks.0: needs failAbove or failBelow (or both)',
      expect.stringMatching(/^checks\.1\.name: must be a short name/),
      expect.stringMatching(/^checks\.1\.query: /),
      expect.stringMatching(/^checks\.2\.failBelow: /),
    ]);
  });

  it('puts the service and environment into a check’s query', () => {
    expect(
      checkQuery(
        { name: 'e', query: 'rate(x{service="{service}",env="{environment}"}[1m])', failAbove: 1 },
        'api',
        'prod',
      ),
    ).toBe('rate(x{service="api",env="prod"}[1m])');
  });
});

describe('bake findings', () => {
  const target = { service: 'api', environment: 'prod', since: 1_000 };
  const alert = (name: string, activeAt: number, labels: Record<string, string> = {}) => ({
    labels: { alertname: name, service: 'api', environment: 'prod', ...labels },
    state: 'firing' as const,
    activeAt,
  });

  it('fails on the service’s alerts there that fire since the deployment, the earliest first', () => {
    expect(
      failingAlerts(
        [
          alert('Late', 5_000),
          alert('Early', 2_000),
          alert('Before', 999),
          alert('Elsewhere', 3_000, { environment: 'staging' }),
          alert('Other', 3_000, { service: 'bot' }),
          alert('Info', 3_000, { severity: 'info' }),
          { ...alert('Pending', 3_000), state: 'pending' as const },
        ],
        target,
      ),
    ).toEqual([
      { at: 2_000, what: 'Early fired' },
      { at: 5_000, what: 'Late fired' },
    ]);
  });

  it('fails a check on any series past a threshold, and passes NaN and no data', () => {
    const check = { name: 'error-rate', query: 'q', failAbove: 0.05, failBelow: 0 };
    expect(failingCheck(check, [0.01, 0.123456], 7)).toEqual({
      at: 7,
      what: 'error-rate was 0.123 (above 0.05)',
    });
    expect(failingCheck(check, [-1], 7)?.what).toBe('error-rate was -1 (below 0)');
    expect(failingCheck(check, [0.05, 0, Number.NaN], 7)).toBeNull();
    expect(failingCheck(check, [], 7)).toBeNull();
  });
});
