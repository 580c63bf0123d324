import { Registry } from 'prom-client';
import { alertingCatalog } from './fixtures';
import { crashingAfterPost, drainOutbox } from './delivery';
import { DiscordSimulator } from '@chatops/discord-sim';
import {
  RestDiscordChannelRepository,
  type DiscordChannelRepository,
} from '@chatops/discord-channel';
import {
  createRepositories,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
} from '@chatops/persistence';
import { alertInstance, alertNotification, resolved } from '@chatops/testing';
import { AlertDeliveryWorker, type AlertDeliveryOptions } from '../src/alert-delivery.worker';
import { AlertActions } from '../src/alert-actions.service';
import { AlertIntake } from '../src/alert-intake';
import { createAlertMetrics, type AlertMetrics } from '../src/alert-metrics';

const TOKEN = `sim.${'a'.repeat(60)}`;
const catalog = alertingCatalog;

let sim: DiscordSimulator;
let handle: DatabaseHandle;
let repos: Repositories;
let registry: Registry;
let metrics: AlertMetrics;
let intake: AlertIntake;

beforeEach(async () => {
  sim = await new DiscordSimulator({ botToken: TOKEN, rateLimits: [] }).start();
  handle = await openDatabase('sqlite::memory:');
  repos = createRepositories(handle);
  registry = new Registry();
  metrics = createAlertMetrics(registry, repos.outbox);
  intake = new AlertIntake(repos.outbox, metrics);
});
afterEach(async () => {
  await handle.close();
  await sim.stop();
});

function worker(
  options: Partial<AlertDeliveryOptions> = {},
  // No retries in the transport: these tests are about what the worker does once it gives up.
  channel: DiscordChannelRepository = new RestDiscordChannelRepository({
    token: TOKEN,
    apiUrl: sim.restUrl,
    timeoutMs: 1000,
    retries: 0,
  }),
) {
  return new AlertDeliveryWorker(repos, channel, {
    channelId: sim.channelId,
    catalog,
    metrics,
    firstRetryMs: 10,
    maxRetryMs: 50,
    ...options,
  });
}

const drain = (w: AlertDeliveryWorker, rounds = 50) => drainOutbox(repos, w, rounds);

async function counter(name: string, outcome: string) {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => v.labels['outcome'] === outcome)?.value ?? 0;
}

const apiDown = alertInstance('a1', {
  labels: { alertname: 'ApiDown', environment: 'staging', service: 'api' },
});

describe('AlertDeliveryWorker', () => {
  it('posts one message per group, and edits the same one to resolved', async () => {
    await intake.accept(alertNotification([apiDown]));
    const w = worker();
    await drain(w);
    const [message] = sim.channelMessages();
    expect(message?.content).toMatch(/^🔥 \*\*Firing\*\*: ApiDown on staging · 1 alert since/);
    expect(message?.embeds[0]).toMatchObject({ title: '🔥 ApiDown\\: Target a1 is down' });
    const labels = message?.components.flatMap((row) =>
      (row['components'] as { label: string }[]).map((b) => b.label),
    );
    expect(labels).toEqual(['Silence 1h', 'Silence 4h', 'Redeploy api', 'Runbook', 'Alertmanager']);

    await intake.accept(alertNotification([resolved(apiDown)]));
    await drain(w);
    expect(sim.channelMessages()).toHaveLength(1);
    expect(sim.channelMessages()[0]).toMatchObject({ id: message?.id });
    expect(sim.channelMessages()[0]?.content).toBe(
      '✅ **Resolved** after 12m 0s: ApiDown on staging',
    );
    expect(sim.channelMessages()[0]?.edited_timestamp).not.toBeNull();
    expect(await counter('alert_deliveries_total', 'delivered')).toBe(2);
  });

  it('shows the deployment a group fired after with its Roll back button, and the alert without it when that cannot be told', async () => {
    const asked: string[] = [];
    const deploy = {
      deploymentId: 'd1',
      kind: 'deploy' as const,
      service: 'api',
      environment: 'staging',
      from: 'v1',
      to: 'v2',
      by: 'bob',
      liveAt: 0,
      link: null,
      rollbackTo: 'v1',
    };
    await intake.accept(alertNotification([apiDown]));
    await drain(
      worker({
        correlation: {
          correlate: async (state) => {
            asked.push(`${state.commonLabels['service']}@${state.commonLabels['environment']}`);
            return { ...deploy, liveAt: state.firingSince - 4 * 60_000 };
          },
        },
      }),
    );
    const [message] = sim.channelMessages();
    expect(asked).toEqual(['api@staging']);
    expect(message?.content.split('\n')[1]).toMatch(
      /^🚀 Fired 4m 0s after the deploy: api `v1` → `v2` by bob \(live <t:\d+:R>\)$/,
    );
    const ids = message?.components.flatMap((row) =>
      (row['components'] as { custom_id?: string }[]).map((b) => b.custom_id),
    );
    expect(ids).toContain('alert:rollback:staging:api:v1');

    const warnings: string[] = [];
    const other = alertInstance('b1', {
      labels: { alertname: 'BotDown', environment: 'staging', service: 'api' },
    });
    await intake.accept(alertNotification([other]));
    await drain(
      worker({
        correlation: {
          correlate: async () => {
            throw new Error('database is away');
          },
        },
        log: {
          info: () => undefined,
          error: () => undefined,
          warn: (_o: unknown, m?: string) => {
            warnings.push(String(m));
          },
        },
      }),
    );
    const second = sim.channelMessages()[1];
    expect(second?.content).toMatch(
      /^🔥 \*\*Firing\*\*: BotDown on staging · 1 alert since <t:\d+:R>$/,
    );
    expect(warnings).toContain(
      'could not tell which deployment the alert followed; shown without it',
    );
  });

  it('makes one message of a notification received twice, and counts the duplicate', async () => {
    const n = alertNotification([apiDown]);
    expect((await intake.accept(n)).duplicate).toBe(false);
    expect((await intake.accept({ ...n, externalURL: 'http://am-2:9093' })).duplicate).toBe(true);
    await drain(worker());
    expect(sim.channelMessages()).toHaveLength(1);
    expect(await counter('alert_notifications_received_total', 'duplicate')).toBe(1);
  });

  it('batches: many notifications of one group in a round make one post', async () => {
    for (let i = 0; i < 12; i++) await intake.accept(alertNotification([alertInstance(`fp${i}`)]));
    await drain(worker());
    expect(sim.requests.filter((r) => r.startsWith('POST /channels/')).length).toBe(1);
    expect(sim.requests.filter((r) => r.startsWith('PATCH /channels/')).length).toBe(0);
    expect(sim.channelMessages()[0]?.embeds).toHaveLength(10);
    expect(sim.channelMessages()[0]?.content).toContain('12 alerts');
  });

  it('waits out 429s and delivers', async () => {
    sim.rateLimits.forceNext(/^POST \/channels\//, 2, 100);
    await intake.accept(alertNotification([apiDown]));
    await drain(worker());
    expect(sim.channelMessages()).toHaveLength(1);
    expect(sim.rateLimits.limited).toBe(2);
  });

  it('keeps notifications while Discord is away and delivers them when it is back', async () => {
    sim.goAway(400);
    await intake.accept(alertNotification([apiDown]));
    const w = worker();
    await w.runOnce();
    expect(await counter('alert_deliveries_total', 'retried')).toBe(1);
    const [backlog] = await repos.outbox.backlog();
    expect(backlog?.pending).toBe(1);
    await new Promise((r) => setTimeout(r, 450));
    await drain(w);
    expect(sim.channelMessages()).toHaveLength(1);
    expect(await counter('alert_deliveries_total', 'delivered')).toBe(1);
  });

  it('fails for good what Discord refuses, and keeps it for an operator', async () => {
    await intake.accept(alertNotification([apiDown]));
    await drain(worker({ channelId: '999999999999999999' }));
    expect(await counter('alert_deliveries_total', 'failed')).toBe(1);
    expect(await repos.outbox.backlog()).toEqual([
      { topic: 'alerts', pending: 0, failed: 1, oldestPendingAt: null },
    ]);

    // Once the cause is mended, someone with `silence` sends it again; a member without is refused.
    const actions = new AlertActions(catalog, repos, null);
    const sre = { actor: { id: '7', name: 'sam' }, roles: { ids: [], names: ['sre'] } };
    const viewer = { actor: { id: '8', name: 'vic' }, roles: { ids: [], names: ['viewer'] } };
    await expect(actions.requeueRefused(viewer)).rejects.toMatchObject({ reason: 'denied' });
    const again = await actions.requeueRefused(sre);
    expect(again).toEqual({
      requeued: 1,
      errors: [expect.stringMatching(/^Discord 404 \(10003\): Unknown Channel/)],
    });
    await drain(worker());
    expect(sim.channelMessages()).toHaveLength(1);
    expect(await repos.outbox.backlog()).toEqual([]);
    expect((await actions.requeueRefused(sre)).requeued).toBe(0);
    const trail = (await repos.audit.list()).map((e) => [e.actor.name, e.action, e.outcome]);
    expect(trail).toEqual([
      ['sam', 'alerts.requeue', 'succeeded'],
      ['sam', 'alerts.requeue', 'succeeded'],
      ['vic', 'silence', 'denied'],
    ]);
  });

  it('keeps delivering after Discord answers 401, without a restart', async () => {
    sim.refuseAuthNext(1);
    const w = worker();
    await intake.accept(alertNotification([apiDown]));
    await drain(w);
    expect(sim.channelMessages()).toHaveLength(1);
    expect(await counter('alert_deliveries_total', 'retried')).toBe(1);
    expect(await counter('alert_deliveries_total', 'failed')).toBe(0);
    // And later groups still go out through the same worker.
    await intake.accept(
      alertNotification([alertInstance('b1', { labels: { alertname: 'Other' } })]),
    );
    await drain(w);
    expect(sim.channelMessages()).toHaveLength(2);
  });

  it('takes over at once what its killed predecessor (same instance id) had claimed', async () => {
    await intake.accept(alertNotification([apiDown]));
    // The killed process claimed the notification under a long lease and never finished.
    expect(
      await repos.outbox.claim({ workerId: 'alerts-api-1:3000', limit: 25, leaseMs: 600_000 }),
    ).toHaveLength(1);
    const restarted = worker({ instanceId: 'api-1:3000', idleMs: 20 });
    const started = Date.now();
    restarted.start();
    try {
      while (!sim.channelMessages().length && Date.now() - started < 3000)
        await new Promise((r) => setTimeout(r, 20));
      expect(sim.channelMessages()).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await restarted.stop();
    }
  });

  it('lets another instance take over a dead one after the lease, while a live one keeps its claims', async () => {
    await intake.accept(alertNotification([apiDown]));
    // A live worker in a slow round: its heartbeat keeps the claim past the lease.
    const rest = new RestDiscordChannelRepository({ token: TOKEN, apiUrl: sim.restUrl });
    const slow: DiscordChannelRepository = {
      postMessage: async (...args) => {
        await new Promise((r) => setTimeout(r, 600));
        return rest.postMessage(...args);
      },
      editMessage: (...args) => rest.editMessage(...args),
      startThread: (...args) => rest.startThread(...args),
    };
    const live = worker({ instanceId: 'api-1', leaseMs: 200, heartbeatMs: 50, idleMs: 20 }, slow);
    live.start();
    const other = worker({ instanceId: 'api-2', leaseMs: 200 });
    try {
      await new Promise((r) => setTimeout(r, 450));
      expect(await other.runOnce()).toBe(0);
    } finally {
      await live.stop();
    }
    expect(sim.channelMessages()).toHaveLength(1);

    // A dead one (no heartbeat): the other instance delivers once the lease has run out.
    await intake.accept(
      alertNotification([alertInstance('c1', { labels: { alertname: 'Third' } })]),
    );
    await repos.outbox.claim({ workerId: 'alerts-api-3', limit: 25, leaseMs: 200 });
    expect(await other.runOnce()).toBe(0);
    await new Promise((r) => setTimeout(r, 250));
    expect(await other.runOnce()).toBe(1);
    expect(sim.channelMessages()).toHaveLength(2);
  });

  it('does not double a message posted just before a crash', async () => {
    // Discord creates the message, then the process dies before recording it.
    const crashing = crashingAfterPost(
      new RestDiscordChannelRepository({ token: TOKEN, apiUrl: sim.restUrl }),
    );
    await intake.accept(alertNotification([apiDown]));
    await drain(worker({}, crashing));
    expect(sim.channelMessages()).toHaveLength(1);
    expect(await counter('alert_deliveries_total', 'retried')).toBe(1);
  });

  it('never collides with another instance on the same bot token with a database of its own', async () => {
    // A second API: its own database, so its first group has the same row id and episode.
    const otherHandle = await openDatabase('sqlite::memory:');
    try {
      const otherRepos = createRepositories(otherHandle);
      const otherIntake = new AlertIntake(otherRepos.outbox, metrics);
      const other = new AlertDeliveryWorker(
        otherRepos,
        new RestDiscordChannelRepository({ token: TOKEN, apiUrl: sim.restUrl, timeoutMs: 1000 }),
        { channelId: sim.channelId, catalog, metrics, firstRetryMs: 10, maxRetryMs: 50 },
      );
      await intake.accept(alertNotification([apiDown]));
      const dbDown = alertInstance('d1', {
        labels: { alertname: 'DatabaseDown', environment: 'staging' },
      });
      await otherIntake.accept(
        alertNotification([dbDown], { groupLabels: { alertname: 'DatabaseDown' } }),
      );
      await drain(worker());
      await other.runOnce();
      const contents = sim.channelMessages().map((m) => m.content);
      expect(contents).toHaveLength(2);
      expect(contents.join('\n')).toMatch(/ApiDown/);
      expect(contents.join('\n')).toMatch(/DatabaseDown/);
    } finally {
      await otherHandle.close();
    }
  });

  it('posts again when someone deleted the message, and a new episode gets a new message', async () => {
    await intake.accept(alertNotification([apiDown]));
    const w = worker();
    await drain(w);
    const first = sim.channelMessages()[0];
    sim.messages.delete(first?.id ?? '');
    await intake.accept(alertNotification([resolved(apiDown)]));
    await drain(w);
    expect(sim.channelMessages().map((m) => m.content.slice(0, 14))).toEqual(['✅ **Resolved**']);
    await intake.accept(alertNotification([{ ...apiDown, startsAt: '2026-11-21T12:00:00Z' }]));
    await drain(w);
    expect(sim.channelMessages().map((m) => m.content.slice(0, 12))).toEqual([
      '✅ **Resolved**'.slice(0, 12),
      '🔥 **Firing**'.slice(0, 12),
    ]);
  });
});
