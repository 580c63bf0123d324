import { Registry } from 'prom-client';
import { DeliveryMetricsExporter } from '../src/delivery-metrics-exporter';
import { DeliveryMetricsReader } from '../src/delivery-metrics-reader';
import { catalog, useInMemoryRepositories } from './fixtures';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');
let at = NOW;
const clock = { now: () => at };
const repos = useInMemoryRepositories(clock);

/** A deployment of api on prod that succeeds at `finishedAt`. */
async function succeeded(kind: 'redeploy' | 'rollback', requestId: string, finishedAt: number) {
  at = finishedAt - 60_000;
  const { deployment } = await repos().deployments.create({
    requestId,
    kind,
    service: 'api',
    environment: 'prod',
    ref: 'main',
    version: requestId,
    fromVersion: 'v0',
    status: 'queued',
    requestedBy: { id: '1', name: 'alice' },
  });
  await repos().deployments.transition(deployment.id, 'dispatched');
  at = finishedAt;
  await repos().deployments.transition(deployment.id, 'succeeded');
  at = NOW;
}

/** One API replica: its registry and exporter, on the shared database. */
function replica(holderId: string) {
  const registry = new Registry();
  new DeliveryMetricsExporter(
    new DeliveryMetricsReader(catalog, repos(), clock),
    repos(),
    registry,
    { holderId, leaseMs: 60_000 },
  );
  return async () =>
    (await registry.metrics()).split('\n').filter((l) => l.startsWith('chatops_delivery_'));
}

describe('the delivery metrics on /metrics', () => {
  it('exports the figures of the record from one replica at a time, another taking over when it stops', async () => {
    await succeeded('redeploy', 'v1', NOW - 10 * HOUR);
    await succeeded('redeploy', 'v2', NOW - 5 * HOUR);
    await succeeded('rollback', 'v1-again', NOW - 4 * HOUR);
    const first = replica('api-1');
    const second = replica('api-2');
    const exported = await first();
    expect(exported).toEqual(
      expect.arrayContaining([
        'chatops_delivery_changes{service="",environment=""} 2',
        'chatops_delivery_changes{service="api",environment="prod"} 2',
        'chatops_delivery_change_failure_ratio{service="api",environment="prod"} 0.5',
        'chatops_delivery_time_to_restore_seconds{service="api",environment="prod"} 3600',
        `chatops_delivery_deployments_per_day{service="api",environment="prod"} ${2 / 30}`,
      ]),
    );
    // No commit time is known: no lead time series rather than a made-up one.
    expect(exported.some((l) => l.startsWith('chatops_delivery_lead_time_seconds'))).toBe(false);
    expect(await second()).toEqual([]);
    // The first keeps the lease while it is scraped …
    at = NOW + 50_000;
    expect((await first()).length).toBeGreaterThan(0);
    expect(await second()).toEqual([]);
    // … and once it is no longer (it died), the second takes over after the lease.
    at = NOW + 50_000 + 60_001;
    expect(await second()).toEqual(exported);
    expect(await first()).toEqual([]);
  });
});
