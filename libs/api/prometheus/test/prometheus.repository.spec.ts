import { eventually, freePort, startPrometheus, type MonitoringServer } from '@chatops/testing';
import { HttpPrometheusRepository, PrometheusError } from '../src/prometheus.repository';

/** The repository against a real Prometheus (the binary from Debian), through its API v1. */
let prometheus: MonitoringServer;
let repo: HttpPrometheusRepository;

const RULES = `
groups:
  - name: bake
    interval: 1s
    rules:
      - alert: ApiHighErrorRate
        expr: vector(1)
        labels: { service: api, environment: staging, severity: critical }
        annotations: { summary: 'api errors "high" <b>' }
      - alert: SlowToFire
        expr: vector(1)
        for: 1h
        labels: { service: api, environment: staging }
`;

beforeAll(async () => {
  prometheus = await startPrometheus(
    'global: { evaluation_interval: 1s }\nrule_files: [rules.yml]\n',
    { 'rules.yml': RULES },
  );
  repo = new HttpPrometheusRepository(prometheus.url);
}, 60_000);
afterAll(() => prometheus?.stop());

describe('HttpPrometheusRepository', () => {
  it('lists the rules’ alerts, firing and pending, with their labels and when they became active', async () => {
    const before = Date.now();
    const alerts = await eventually(
      'both rules evaluated',
      async () => {
        const found = await repo.alerts();
        return found.length === 2 ? found : undefined;
      },
      { timeoutMs: 10_000 },
    );
    const byName = new Map(alerts.map((a) => [a.labels['alertname'], a]));
    expect(byName.get('ApiHighErrorRate')).toMatchObject({
      state: 'firing',
      labels: { service: 'api', environment: 'staging', severity: 'critical' },
      annotations: { summary: 'api errors "high" <b>' },
    });
    expect(byName.get('SlowToFire')?.state).toBe('pending');
    expect(byName.get('ApiHighErrorRate')?.activeAt).toBeGreaterThan(before - 60_000);
    expect(byName.get('ApiHighErrorRate')?.activeAt).toBeLessThanOrEqual(Date.now());
  });

  it('answers an instant query per series, and a scalar as one sample', async () => {
    const samples = await repo.query(
      'label_replace(vector(0.25), "service", "api", "", "") or label_replace(vector(2), "service", "bot", "", "")',
    );
    expect(samples.sort((a, b) => a.value - b.value)).toEqual([
      { labels: { service: 'api' }, value: 0.25 },
      { labels: { service: 'bot' }, value: 2 },
    ]);
    expect(await repo.query('scalar(vector(3))')).toEqual([{ labels: {}, value: 3 }]);
    expect(await repo.query('vector(1) > 5')).toEqual([]);
    // A long expression goes in the body, not the URL.
    const long = `vector(1)${' + vector(0)'.repeat(2000)}`;
    expect(await repo.query(long)).toEqual([{ labels: {}, value: 1 }]);
  });

  it('says why a query cannot be answered: bad PromQL, a range vector, nobody listening', async () => {
    await expect(repo.query('sum(')).rejects.toBeInstanceOf(PrometheusError);
    await expect(repo.query('sum(')).rejects.toThrow(/^Prometheus answered 400: .*parse error/);
    await expect(repo.query('up[5m]')).rejects.toThrow(/gives a matrix, not a number per series/);
    const nobody = new HttpPrometheusRepository(`http://127.0.0.1:${await freePort()}`, 1000);
    await expect(nobody.alerts()).rejects.toThrow(/^Prometheus is unreachable \(ECONNREFUSED\)$/);
  });
});
