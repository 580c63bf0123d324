import type { DeploymentKind } from '@chatops/domain';
import { DeliveryMetricsReader } from '../src/delivery-metrics-reader';
import { catalog, refusal, useInMemoryRepositories } from './fixtures';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-30T12:00:00Z');

let at = NOW;
const clock = { now: () => at };
const currentRepos = useInMemoryRepositories(clock);
let seq = 0;

/** A deployment that succeeded at `finishedAt` (its commit made at `committedAt`). */
async function succeeded(
  kind: DeploymentKind,
  finishedAt: number,
  extra: {
    service?: string;
    environment?: string;
    committedAt?: number;
    version?: string;
    fromVersion?: string;
    status?: 'succeeded' | 'failed';
  } = {},
) {
  const repos = currentRepos();
  at = finishedAt - 10 * 60_000;
  const { deployment } = await repos.deployments.create({
    requestId: `delivery-${++seq}`,
    kind,
    service: extra.service ?? 'api',
    environment: extra.environment ?? 'prod',
    ref: 'main',
    version: extra.version ?? null,
    fromVersion: extra.fromVersion ?? null,
    status: 'queued',
    requestedBy: { id: '100', name: 'alice' },
    change:
      extra.committedAt === undefined
        ? null
        : {
            target: {
              sha: 'a'.repeat(40),
              url: null,
              author: 'alice',
              title: 'Fix',
              committedAt: extra.committedAt,
            },
            current: null,
            compare: null,
            unavailable: null,
          },
  });
  await repos.deployments.transition(deployment.id, 'dispatched');
  at = finishedAt;
  await repos.deployments.transition(deployment.id, extra.status ?? 'succeeded');
  at = NOW;
}

const reader = () => new DeliveryMetricsReader(catalog, currentRepos(), clock);

describe('delivery metrics from the record', () => {
  beforeEach(async () => {
    // 40 days ago: outside the default 30-day window.
    await succeeded('deploy', NOW - 40 * DAY, { committedAt: NOW - 41 * DAY });
    // Lead 2h, rolled back 1h later.
    await succeeded('deploy', NOW - 10 * DAY, { committedAt: NOW - 10 * DAY - 2 * HOUR });
    await succeeded('rollback', NOW - 10 * DAY + HOUR, { version: 'v1', fromVersion: 'v2' });
    // Lead 4h, in staging.
    await succeeded('deploy', NOW - 5 * DAY, {
      environment: 'staging',
      committedAt: NOW - 5 * DAY - 4 * HOUR,
    });
    // A failed deploy and a restart: neither is a change.
    await succeeded('deploy', NOW - 4 * DAY, { status: 'failed', committedAt: NOW - 5 * DAY });
    await succeeded('redeploy', NOW - 3 * DAY, { version: 'v1', fromVersion: 'v1' });
    // The bot: a redeploy to a new version, commit unknown.
    await succeeded('redeploy', NOW - 2 * DAY, {
      service: 'bot',
      version: 'v7',
      fromVersion: 'v6',
    });
  });

  it('reads the last 30 days of every service and environment, with the figures per pair', async () => {
    const report = await reader().read();
    expect(report).toMatchObject({
      days: 30,
      from: NOW - 30 * DAY,
      to: NOW,
      service: null,
      environment: null,
    });
    expect(report.metrics).toEqual({
      changes: 3,
      changesPerDay: 3 / 30,
      leadTimeMs: 3 * HOUR,
      failures: 1,
      changeFailureRate: 1 / 3,
      timeToRestoreMs: HOUR,
      unrestored: 0,
    });
    expect(
      report.breakdown.map((b) => [
        b.service,
        b.environment,
        b.metrics.changes,
        b.metrics.failures,
      ]),
    ).toEqual([
      ['api', 'prod', 1, 1],
      ['api', 'staging', 1, 0],
      ['bot', 'prod', 1, 0],
    ]);
  });

  it('narrows to a service, an environment and a number of days', async () => {
    expect((await reader().read({ service: 'api', environment: 'prod' })).metrics).toMatchObject({
      changes: 1,
      leadTimeMs: 2 * HOUR,
      changeFailureRate: 1,
    });
    expect((await reader().read({ days: 60 })).metrics.changes).toBe(4);
    expect((await reader().read({ days: 3 })).metrics).toMatchObject({
      changes: 1,
      leadTimeMs: null,
    });
  });

  it('refuses what the catalog does not know and a window out of range, naming each problem', async () => {
    const refused = await refusal(
      reader().read({ service: 'nope', environment: 'moon', days: 91 }),
    );
    expect(refused.reason).toBe('invalid');
    expect(refused.problems).toEqual([
      'unknown service `nope` (known: api, bot)',
      'unknown environment `moon` (known: staging, prod)',
      'days must be a whole number from 1 to 90',
    ]);
    expect((await refusal(reader().read({ days: 1.5 }))).problems).toEqual([
      'days must be a whole number from 1 to 90',
    ]);
  });
});
