import type { AlertGroupState, DeploymentKind } from '@chatops/domain';
import { AlertCorrelator } from '../src/alert-correlator';
import { DeliveryMetricsReader } from '../src/delivery-metrics-reader';
import { catalog, useInMemoryRepositories } from './fixtures';

const MINUTE = 60_000;
const T0 = Date.parse('2026-12-01T10:00:00Z');
let at = T0;
const clock = { now: () => at };
const repos = useInMemoryRepositories(clock);
let seq = 0;

/** A deployment requested at `requestedAt` that ends (`status`) at `endedAt`. */
async function deployment(
  kind: DeploymentKind,
  requestedAt: number,
  endedAt: number,
  extra: {
    imageTag?: string;
    version?: string;
    fromVersion?: string;
    by?: string;
    environment?: string;
    status?: 'succeeded' | 'failed';
  } = {},
) {
  at = requestedAt;
  const { deployment: created } = await repos().deployments.create({
    requestId: `corr-${++seq}`,
    kind,
    service: 'api',
    environment: extra.environment ?? 'prod',
    ref: 'main',
    version: extra.version ?? null,
    fromVersion: extra.fromVersion ?? null,
    status: 'queued',
    requestedBy: { id: '100', name: extra.by ?? 'alice' },
  });
  await repos().deployments.transition(created.id, 'dispatched', {
    runUrl: `https://github.com/acme/chatops/actions/runs/${seq}`,
  });
  if (extra.imageTag) await repos().deployments.update(created.id, { imageTag: extra.imageTag });
  at = endedAt;
  return repos().deployments.transition(created.id, extra.status ?? 'succeeded');
}

function group(firingSince: number, labels: Record<string, string> = {}): AlertGroupState {
  const commonLabels = { alertname: 'ApiDown', service: 'api', environment: 'prod', ...labels };
  return {
    status: 'firing',
    episode: 1,
    groupLabels: { alertname: commonLabels.alertname },
    commonLabels,
    commonAnnotations: {},
    externalURL: 'http://alertmanager',
    truncatedAlerts: 0,
    alerts: [],
    firingSince,
    resolvedAt: null,
  };
}

const correlator = () => new AlertCorrelator(catalog, repos());

describe('deploy ↔ alert correlation', () => {
  it('shows the deployment an alert fired after, with the last good version to roll back to', async () => {
    await deployment('deploy', T0, T0 + 5 * MINUTE, { imageTag: 'v1' });
    await deployment('deploy', T0 + 60 * MINUTE, T0 + 65 * MINUTE, { imageTag: 'v2' });
    const v3 = await deployment('deploy', T0 + 120 * MINUTE, T0 + 125 * MINUTE, {
      imageTag: 'v3',
      by: 'bob',
    });
    const context = await correlator().correlate(group(T0 + 129 * MINUTE));
    expect(context).toEqual({
      deploymentId: v3.id,
      kind: 'deploy',
      service: 'api',
      environment: 'prod',
      from: 'v2',
      to: 'v3',
      by: 'bob',
      liveAt: T0 + 125 * MINUTE,
      link: v3.runUrl,
      rollbackTo: 'v2',
    });
    // The deploy is counted failed from when the alert fired, with why.
    expect((await repos().deployments.get(v3.id))?.failure).toEqual({
      at: T0 + 129 * MINUTE,
      reason: 'ApiDown fired 4m 0s after it went live',
    });
    const report = await new DeliveryMetricsReader(catalog, repos(), {
      now: () => T0 + 200 * MINUTE,
    }).read({ days: 1 });
    expect(report.metrics.changeFailureRate).toBeCloseTo(1 / 3);
  });

  it('ties nothing outside the window, before the deployment, elsewhere, or without catalog labels', async () => {
    await deployment('deploy', T0, T0 + 5 * MINUTE, { imageTag: 'v1' });
    const c = correlator();
    // The default window is 30 minutes.
    expect(await c.correlate(group(T0 + 36 * MINUTE))).toBeNull();
    expect(await c.correlate(group(T0 - MINUTE))).toBeNull();
    expect(await c.correlate(group(T0 + 10 * MINUTE, { environment: 'staging' }))).toBeNull();
    expect(await c.correlate(group(T0 + 10 * MINUTE, { service: 'nope' }))).toBeNull();
    const { service: _service, ...unlabelled } = group(T0 + 10 * MINUTE).commonLabels;
    expect(await c.correlate({ ...group(T0 + 10 * MINUTE), commonLabels: unlabelled })).toBeNull();
    // An alert that fired while it rolled out is tied to it.
    expect((await c.correlate(group(T0 + 2 * MINUTE)))?.to).toBe('v1');
  });

  it('never offers the version it put there, one a rollback left, or one whose deploy failed', async () => {
    await deployment('deploy', T0, T0 + MINUTE, { imageTag: 'good' });
    await deployment('deploy', T0 + 10 * MINUTE, T0 + 11 * MINUTE, { imageTag: 'left' });
    await deployment('rollback', T0 + 20 * MINUTE, T0 + 21 * MINUTE, {
      version: 'good',
      fromVersion: 'left',
    });
    await deployment('deploy', T0 + 30 * MINUTE, T0 + 31 * MINUTE, {
      imageTag: 'broken',
      status: 'failed',
    });
    const redeploy = await deployment('redeploy', T0 + 40 * MINUTE, T0 + 41 * MINUTE, {
      version: 'good',
      fromVersion: 'good',
    });
    const context = await correlator().correlate(group(T0 + 45 * MINUTE));
    expect(context).toMatchObject({ deploymentId: redeploy.id, from: 'good', to: 'good' });
    // `good` runs, `left` was rolled back from, `broken` failed: nothing earlier is good.
    expect(context?.rollbackTo).toBeNull();
  });

  it('marks a deploy failed once, and neither a rollback nor for an info alert', async () => {
    const deploy = await deployment('deploy', T0, T0 + MINUTE, { imageTag: 'v1' });
    await correlator().correlate(group(T0 + 3 * MINUTE, { severity: 'info' }));
    expect((await repos().deployments.get(deploy.id))?.failure).toBeNull();
    await correlator().correlate(group(T0 + 5 * MINUTE, { alertname: 'First' }));
    await correlator().correlate(group(T0 + 6 * MINUTE, { alertname: 'Second' }));
    expect((await repos().deployments.get(deploy.id))?.failure?.reason).toBe(
      'First fired 4m 0s after it went live',
    );
    const rollback = await deployment('rollback', T0 + 10 * MINUTE, T0 + 11 * MINUTE, {
      version: 'v0',
      fromVersion: 'v1',
    });
    expect((await correlator().correlate(group(T0 + 12 * MINUTE)))?.kind).toBe('rollback');
    expect((await repos().deployments.get(rollback.id))?.failure).toBeNull();
  });
});
