import { Registry } from 'prom-client';
import { DiscordSimulator, type StoredMessage } from '@chatops/discord-sim';
import {
  RestDiscordChannelRepository,
  type DiscordChannelRepository,
} from '@chatops/discord-channel';
import { catalogSchema, type CatalogInput } from '@chatops/domain';
import {
  createRepositories,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
} from '@chatops/persistence';
import { alertInstance, alertNotification, resolved } from '@chatops/testing';
import { AlertDeliveryWorker, type AlertDeliveryOptions } from '../src/alert-delivery.worker';
import { AlertIntake } from '../src/alert-intake';
import { createAlertMetrics } from '../src/alert-metrics';
import { crashingAfterPost, drainOutbox } from './delivery';

const TOKEN = `sim.${'s'.repeat(60)}`;
const ONCALL = '424242424242424242';

let sim: DiscordSimulator;
let handle: DatabaseHandle;
let repos: Repositories;
let intake: AlertIntake;
let incidents: string;
const running: AlertDeliveryWorker[] = [];

function catalogWith(alerts: CatalogInput['alerts']) {
  return catalogSchema.parse({
    project: 'chatops',
    github: { owner: 'acme', repo: 'chatops' },
    services: [
      { name: 'api', workflow: 'deploy.yml', image: 'x/api', healthUrl: 'https://h/health' },
    ],
    environments: [{ name: 'staging' }, { name: 'prod' }],
    roles: {},
    alerts,
  });
}

beforeEach(async () => {
  // Discord's per-channel pace (5 messages per 5 s), as the simulator applies by default.
  sim = await new DiscordSimulator({ botToken: TOKEN }).start();
  incidents = sim.addChannel('incidents');
  handle = await openDatabase('sqlite::memory:');
  repos = createRepositories(handle);
  intake = new AlertIntake(repos.outbox, createAlertMetrics(new Registry(), repos.outbox), () =>
    running.forEach((w) => w.wake()),
  );
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
  await handle.close();
  await sim.stop();
});

function worker(
  options: Partial<AlertDeliveryOptions> = {},
  channel: DiscordChannelRepository = new RestDiscordChannelRepository({
    token: TOKEN,
    apiUrl: sim.restUrl,
  }),
) {
  return new AlertDeliveryWorker(repos, channel, {
    channelId: sim.channelId,
    catalog: catalogWith({ onCall: { role: ONCALL } }),
    firstRetryMs: 10,
    maxRetryMs: 50,
    idleMs: 20,
    ...options,
  });
}

function started(w: AlertDeliveryWorker): AlertDeliveryWorker {
  running.push(w);
  w.start();
  return w;
}

/** One group per host: `instance` is what Alertmanager grouped by, as in a probe storm. */
function probe(host: number, overrides: { severity?: string; environment?: string } = {}) {
  const alert = alertInstance(`probe-${host}`, {
    labels: {
      alertname: 'ProbeFailed',
      instance: `host-${host}`,
      severity: overrides.severity ?? 'warning',
      environment: overrides.environment ?? 'staging',
    },
  });
  const groupLabels = { alertname: 'ProbeFailed', instance: `host-${host}` };
  return {
    alert,
    firing: alertNotification([alert], {
      groupLabels,
      groupKey: `{}:{alertname="ProbeFailed",instance="host-${host}"}`,
    }),
    resolved: alertNotification([resolved(alert)], {
      groupLabels,
      groupKey: `{}:{alertname="ProbeFailed",instance="host-${host}"}`,
    }),
  };
}

/** Everything a member reads in a message: its content and its embeds' text. */
const textOf = (m: StoredMessage) =>
  [
    m.content,
    ...m.embeds.map((e) => `${String(e['title'] ?? '')}\n${String(e['description'] ?? '')}`),
  ].join('\n');

/** The channel's messages that show this host's group. */
const showing = (host: number, channelId = sim.channelId) =>
  sim.channelMessages(channelId).filter((m) => textOf(m).includes(`\`instance=host-${host}\``));

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

async function outboxSettled() {
  for (let i = 0; i < 400; i++) {
    const backlog = (await repos.outbox.backlog()).find((b) => b.topic === 'alerts');
    if (!backlog?.pending) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the outbox did not drain');
}

const drainWith = (w: AlertDeliveryWorker) => drainOutbox(repos, w);

const HOSTS = Array.from({ length: 200 }, (_, i) => i + 1);

describe('alert storms', () => {
  it('shows 200 groups arriving at once within 15 s in digests, then single messages again, with no group shown twice', async () => {
    const w = started(worker({ stormHoldMs: 1500 }));
    const storm = HOSTS.map((host) => probe(host));
    await Promise.all(storm.map((s) => intake.accept(s.firing)));
    const accepted = Date.now();
    const took = await until(() => HOSTS.every((host) => showing(host).length > 0), 15_000);
    expect(Date.now() - accepted).toBeLessThan(15_000);
    // Eight pages of 25, each group on one of them: 8 posts instead of 200.
    expect(sim.channelMessages()).toHaveLength(8);
    for (const host of HOSTS) expect(showing(host)).toHaveLength(1);
    const page = sim.channelMessages()[0] as StoredMessage;
    expect(page.content).toMatch(/^⛈️ \*\*Alert storm\*\*: 25 groups in one message · 25 firing/);
    expect(page.components.flatMap((r) => r['components'] as unknown[])).toHaveLength(25);
    // Nobody on call for warnings: the digest pings nobody.
    expect(page.pinged).toEqual({ roles: [], users: [], everyone: false });

    // Half of them resolve during the storm: their pages are edited, nothing new is posted.
    await Promise.all(storm.slice(0, 100).map((s) => intake.accept(s.resolved)));
    await outboxSettled();
    expect(sim.channelMessages()).toHaveLength(8);
    expect(textOf(showing(1)[0] as StoredMessage)).toMatch(
      /✅ ProbeFailed on staging `instance=host-1`/,
    );
    const cleared = sim.channelMessages()[0] as StoredMessage;
    expect(cleared.content).toMatch(/^✅ \*\*Alert storm over\*\*: all 25 groups/);
    expect(sim.channelMessages(cleared.id).map((m) => m.content)).toEqual([
      '✅ All 25 alert groups in this message resolved.',
    ]);

    // After the storm: a new group gets its own message; a storm group's update stays on its page.
    await new Promise((r) => setTimeout(r, 1600));
    await intake.accept(probe(500).firing);
    await intake.accept(storm[150]?.resolved);
    await outboxSettled();
    expect(showing(500)).toHaveLength(1);
    expect(showing(500)[0]?.content).toMatch(
      /^🔥 \*\*Firing\*\*: ProbeFailed on staging `instance=host-500`/,
    );
    expect(sim.channelMessages()).toHaveLength(9);
    for (const host of HOSTS) expect(showing(host)).toHaveLength(1);
    expect(textOf(showing(151)[0] as StoredMessage)).toMatch(
      /✅ ProbeFailed on staging `instance=host-151`/,
    );
    expect(took).toBeLessThan(15_000);
    await w.stop();
  }, 60_000);

  it('never shows a group twice when two replicas share the storm', async () => {
    const a = started(worker({ instanceId: 'api-1', batchSize: 30 }));
    const b = started(worker({ instanceId: 'api-2', batchSize: 30 }));
    const storm = HOSTS.slice(0, 120).map((host) => probe(host));
    await Promise.all(storm.map((s) => intake.accept(s.firing)));
    await until(() => HOSTS.slice(0, 120).every((host) => showing(host).length > 0), 20_000);
    await outboxSettled();
    for (const host of HOSTS.slice(0, 120)) expect(showing(host)).toHaveLength(1);
    // Pages hold 25 at most; two replicas that both find the newest page full each open one,
    // so there are at most twice the 5 pages one replica would need.
    const pages = sim.channelMessages();
    expect(pages.length).toBeLessThanOrEqual(10);
    for (const page of pages)
      expect(
        page.components.flatMap((r) => r['components'] as unknown[]).length,
      ).toBeLessThanOrEqual(25);
    expect(
      pages.reduce((n, p) => n + (textOf(p).match(/`instance=host-\d+`/g) ?? []).length, 0),
    ).toBe(120);
    await Promise.all([a.stop(), b.stop()]);
  }, 60_000);

  it('counts what still waits in the outbox (another replica’s claims) toward the storm', async () => {
    await Promise.all(HOSTS.slice(0, 15).map((host) => intake.accept(probe(host).firing)));
    const w = worker();
    // Ten more arrived meanwhile and are claimed by another replica, mid-round.
    await repos.outbox.claim({ workerId: 'alerts-other', limit: 15, leaseMs: 60_000 });
    await Promise.all(HOSTS.slice(15, 25).map((host) => intake.accept(probe(host).firing)));
    await w.runOnce();
    expect(sim.channelMessages()).toHaveLength(1);
    expect(sim.channelMessages()[0]?.content).toMatch(/^⛈️ \*\*Alert storm\*\*: 10 groups/);
  }, 30_000);

  it('posts a digest page again when someone deleted it, with every group on it', async () => {
    const w = worker({ stormHoldMs: 60_000 });
    const storm = HOSTS.slice(0, 25).map((host) => probe(host));
    await Promise.all(storm.map((s) => intake.accept(s.firing)));
    await drainWith(w);
    const [page] = sim.channelMessages();
    expect(page?.content).toMatch(/^⛈️ \*\*Alert storm\*\*: 25 groups/);
    sim.messages.delete(page?.id ?? '');
    await intake.accept(storm[0]?.resolved);
    await drainWith(w);
    const [again] = sim.channelMessages();
    expect(again?.id).not.toBe(page?.id);
    expect(again?.content).toMatch(
      /^⛈️ \*\*Alert storm\*\*: 25 groups in one message · 24 firing, 1 resolved/,
    );
    for (const host of HOSTS.slice(0, 25)) expect(showing(host)).toHaveLength(1);
  }, 30_000);

  it('does not double a digest page posted just before a crash', async () => {
    const crashing = crashingAfterPost(
      new RestDiscordChannelRepository({ token: TOKEN, apiUrl: sim.restUrl }),
    );
    started(worker({}, crashing));
    await Promise.all(HOSTS.slice(0, 30).map((host) => intake.accept(probe(host).firing)));
    await until(() => HOSTS.slice(0, 30).every((host) => showing(host).length > 0), 15_000);
    await outboxSettled();
    expect(sim.channelMessages()).toHaveLength(2);
    for (const host of HOSTS.slice(0, 30)) expect(showing(host)).toHaveLength(1);
  }, 30_000);
});

describe('recovery from a Discord outage', () => {
  it('delivers what waited within seconds of Discord coming back, not after the retry schedule', async () => {
    // Retries 16–24 s apart: without probing, the notifications would wait that long after an
    // outage of 3 s. No transport retries: the worker's own schedule is what is measured.
    const channel = new RestDiscordChannelRepository({
      token: TOKEN,
      apiUrl: sim.restUrl,
      retries: 0,
    });
    started(worker({ firstRetryMs: 20_000, maxRetryMs: 60_000 }, channel));
    sim.goAway(3000);
    const back = Date.now() + 3000;
    await Promise.all([1, 2, 3].map((host) => intake.accept(probe(host).firing)));
    await until(() => Date.now() >= back, 10_000);
    const waited = await until(() => [1, 2, 3].every((host) => showing(host).length === 1), 30_000);
    // The probes go out 0.5, 1.5 and 3.5 s into the outage (±20 %).
    expect(waited).toBeLessThan(4000);
    await outboxSettled();
  }, 40_000);
});

describe('alert routing and pings', () => {
  const routed = () =>
    catalogWith({
      routes: [{ environments: ['prod'], severities: ['critical'], channel: incidents }],
      onCall: { role: ONCALL, severities: ['critical'] },
    });

  it('keeps a lone critical in #incidents out of a storm in the default channel, whatever waits in the outbox', async () => {
    const w = worker({ catalog: routed() });
    // 25 wait, claimed by another replica mid-round; the critical and 25 more reach this one.
    await Promise.all(HOSTS.slice(0, 25).map((host) => intake.accept(probe(host).firing)));
    await repos.outbox.claim({ workerId: 'alerts-other', limit: 25, leaseMs: 60_000 });
    await intake.accept(probe(999, { severity: 'critical', environment: 'prod' }).firing);
    await Promise.all(HOSTS.slice(25, 50).map((host) => intake.accept(probe(host).firing)));
    await w.runOnce();
    expect(sim.channelMessages()[0]?.content).toMatch(/^⛈️ \*\*Alert storm\*\*/);
    const [critical] = showing(999, incidents);
    expect(critical?.content.startsWith(`<@&${ONCALL}> 🔥 **Firing**: ProbeFailed on prod`)).toBe(
      true,
    );
    expect(critical?.pinged).toEqual({ roles: [ONCALL], users: [], everyone: false });
  }, 30_000);

  it('sends prod criticals to #incidents pinging exactly the on-call role, the rest to the default channel pinging nobody', async () => {
    started(worker({ catalog: routed() }));
    const critical = probe(1, { severity: 'critical', environment: 'prod' });
    // Hostile labels: a role, a user and @everyone in what the message shows.
    const hostile = alertInstance('h1', {
      labels: {
        alertname: 'Down <@&111111111111111111> @everyone',
        severity: 'critical',
        environment: 'prod',
        instance: '<@222222222222222222>',
      },
    });
    await intake.accept(critical.firing);
    await intake.accept(
      alertNotification([hostile], { groupLabels: hostile.labels, groupKey: '{}:{hostile}' }),
    );
    await intake.accept(probe(2, { severity: 'warning', environment: 'prod' }).firing);
    await outboxSettled();
    expect(showing(1, incidents)).toHaveLength(1);
    expect(showing(2)).toHaveLength(1);
    expect(sim.channelMessages(incidents)).toHaveLength(2);
    for (const message of sim.channelMessages(incidents)) {
      expect(message.content.startsWith(`<@&${ONCALL}> 🔥 **Firing**`)).toBe(true);
      expect(message.pinged).toEqual({ roles: [ONCALL], users: [], everyone: false });
    }
    expect(showing(2)[0]?.pinged).toEqual({ roles: [], users: [], everyone: false });

    // Resolved: the edit drops the mention, and a reply in the message's thread says so.
    await intake.accept(critical.resolved);
    await outboxSettled();
    const [message] = showing(1, incidents);
    expect(message?.content).toMatch(/^✅ \*\*Resolved\*\* after 12m 0s: ProbeFailed on prod/);
    const replies = () => sim.channelMessages(message?.id);
    expect(replies().map((m) => m.content)).toEqual([
      '✅ Resolved after 12m 0s: ProbeFailed on prod `instance=host-1`',
    ]);
    expect(replies()[0]?.pinged).toEqual({ roles: [], users: [], everyone: false });
    // The same resolve again (Alertmanager's repeat): no second reply.
    await intake.accept({ ...critical.resolved, externalURL: 'http://am-2:9093' });
    await intake.accept(
      alertNotification([{ ...resolved(critical.alert), endsAt: '2026-11-21T10:13:00Z' }], {
        groupLabels: critical.firing.groupLabels,
        groupKey: critical.firing.groupKey,
      }),
    );
    await outboxSettled();
    expect(replies()).toHaveLength(1);
  }, 30_000);

  it('shows the resolve even when Discord refuses the thread reply, and gives the reply up', async () => {
    const errors: string[] = [];
    const log = {
      info: jest.fn(),
      warn: jest.fn(),
      error: jest.fn((_: unknown, message: string) => void errors.push(message)),
    } as unknown as AlertDeliveryOptions['log'];
    const w = worker({ catalog: routed(), log });
    const critical = probe(3, { severity: 'critical', environment: 'prod' });
    await intake.accept(critical.firing);
    await drainWith(w);
    const [message] = showing(3, incidents);
    // No permission to post in threads: the thread's (the message's) id is refused.
    sim.denyChannel(message?.id ?? '');
    await intake.accept(critical.resolved);
    await drainWith(w);
    expect(showing(3, incidents)[0]?.content).toMatch(/^✅ \*\*Resolved\*\*/);
    expect(sim.channelMessages(message?.id)).toEqual([]);
    expect(errors).toEqual(['could not reply in the alert message thread; given up']);
    // Delivered: nothing pending, nothing failed.
    expect((await repos.outbox.backlog()).filter((b) => b.topic === 'alerts')).toEqual([]);
  }, 30_000);

  it('pings in the thread when a group turns critical after its post, once', async () => {
    started(worker({ catalog: routed() }));
    const warning = probe(7, { severity: 'warning', environment: 'staging' });
    await intake.accept(warning.firing);
    await outboxSettled();
    const [message] = showing(7);
    expect(message?.pinged?.roles).toEqual([]);
    const critical = alertInstance('probe-7-crit', {
      labels: { ...warning.alert.labels, severity: 'critical' },
    });
    await intake.accept(
      alertNotification([warning.alert, critical], {
        groupLabels: warning.firing.groupLabels,
        groupKey: warning.firing.groupKey,
      }),
    );
    await outboxSettled();
    const thread = sim.channelMessages(message?.id);
    expect(thread).toHaveLength(1);
    expect(thread[0]?.content).toBe(`<@&${ONCALL}> 🔥 ProbeFailed on staging \`instance=host-7\``);
    expect(thread[0]?.pinged).toEqual({ roles: [ONCALL], users: [], everyone: false });
    expect(showing(7)).toHaveLength(1);
  }, 30_000);

  it('pings the on-call role from a digest, and again in its thread for criticals that join it later', async () => {
    started(worker({ catalog: routed(), stormHoldMs: 10_000 }));
    await Promise.all(
      HOSTS.slice(0, 22).map((host) =>
        intake.accept(probe(host, { severity: host === 1 ? 'critical' : 'warning' }).firing),
      ),
    );
    await until(() => HOSTS.slice(0, 22).every((host) => showing(host).length > 0), 15_000);
    await outboxSettled();
    const [page] = sim.channelMessages();
    expect(page?.content.startsWith(`<@&${ONCALL}> ⛈️ **Alert storm**`)).toBe(true);
    expect(page?.pinged).toEqual({ roles: [ONCALL], users: [], everyone: false });
    // The storm goes on: a critical joins the page by an edit, which notifies nobody.
    await intake.accept(probe(23, { severity: 'critical' }).firing);
    await outboxSettled();
    expect(sim.channelMessages()).toHaveLength(1);
    expect(showing(23)).toHaveLength(1);
    const thread = sim.channelMessages(page?.id);
    expect(thread.map((m) => m.content)).toEqual([
      `<@&${ONCALL}> 🔥 ProbeFailed on staging \`instance=host-23\``,
    ]);
    expect(thread[0]?.pinged).toEqual({ roles: [ONCALL], users: [], everyone: false });
  }, 30_000);
});
