import { Registry } from 'prom-client';
import { alertingCatalog } from './fixtures';
import { DiscordSimulator } from '@chatops/discord-sim';
import { RestDiscordChannelRepository } from '@chatops/discord-channel';
import {
  createRepositories,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
} from '@chatops/persistence';
import { alertInstance, alertNotification } from '@chatops/testing';
import { AlertDeliveryWorker } from '../src/alert-delivery.worker';
import { AlertIntake } from '../src/alert-intake';
import { createAlertMetrics } from '../src/alert-metrics';
import { AlertWatchdog, WATCHDOG_MISSING_ALERTNAME } from '../src/watchdog';

const TOKEN = `sim.${'w'.repeat(60)}`;
const TIMEOUT = 5 * 60_000;
const catalog = alertingCatalog;

let sim: DiscordSimulator;
let handle: DatabaseHandle;
let now: number;

beforeEach(async () => {
  sim = await new DiscordSimulator({ botToken: TOKEN, rateLimits: [] }).start();
  handle = await openDatabase('sqlite::memory:');
  now = Date.parse('2026-12-04T10:00:00Z');
});
afterEach(async () => {
  await handle.close();
  await sim.stop();
});

/** One API replica: its repositories (on the shared database), intake, watchdog and worker. */
function replica() {
  const repos: Repositories = createRepositories(handle, { now: () => now });
  const registry = new Registry();
  const metrics = createAlertMetrics(registry, repos.outbox);
  const watchdog = new AlertWatchdog(repos, {
    alertname: 'Watchdog',
    timeoutMs: TIMEOUT,
    clock: { now: () => now },
  });
  const intake = new AlertIntake(repos.outbox, metrics, undefined, watchdog);
  const worker = new AlertDeliveryWorker(
    repos,
    new RestDiscordChannelRepository({ token: TOKEN, apiUrl: sim.restUrl }),
    { channelId: sim.channelId, catalog, metrics },
  );
  const drain = async () => {
    while ((await worker.runOnce()) > 0);
  };
  return { repos, watchdog, intake, drain, registry };
}

const watchdogNotification = () =>
  alertNotification([
    alertInstance('wd', {
      labels: { alertname: 'Watchdog', severity: 'none' },
      startsAt: '2026-12-04T09:00:00Z',
    }),
  ]);

const relayMessages = () =>
  sim.channelMessages().filter((m) => m.content.includes(WATCHDOG_MISSING_ALERTNAME));

describe('the watchdog (a dead man’s switch for Prometheus → Alertmanager → API)', () => {
  it('is never shown; its arrival is noted and counted', async () => {
    const a = replica();
    const result = await a.intake.accept(watchdogNotification());
    expect(result).toEqual({ id: null, duplicate: false, watchdog: true });
    await a.drain();
    expect(sim.channelMessages()).toEqual([]);
    expect(await a.repos.alertHeartbeats.get('Watchdog')).toMatchObject({
      lastSeenAt: now,
      missingSince: null,
    });
    const received = await a.registry.getSingleMetric('alert_notifications_received_total')?.get();
    expect(received?.values.find((v) => v.labels['outcome'] === 'watchdog')?.value).toBe(1);
  });

  it('when it stops arriving, one replica posts a critical alert; when it is back, the same message resolves', async () => {
    const a = replica();
    const b = replica();
    await a.intake.accept(watchdogNotification());
    now += TIMEOUT - 1000;
    expect(await a.watchdog.check()).toBe(false);
    expect(await b.watchdog.check()).toBe(false);

    now += 2000;
    // Both replicas look at once: one reports it.
    const reported = await Promise.all([a.watchdog.check(), b.watchdog.check()]);
    expect(reported.filter(Boolean)).toHaveLength(1);
    await Promise.all([a.drain(), b.drain()]);
    expect(relayMessages()).toHaveLength(1);
    const [posted] = relayMessages();
    expect(posted?.content).toMatch(/^🔥 \*\*Firing\*\*: AlertmanagerWatchdogMissing/);
    expect(JSON.stringify(posted?.embeds)).toContain(
      "Alertmanager's Watchdog alert has stopped arriving",
    );
    // Looking again reports nothing new.
    now += 60_000;
    expect(await a.watchdog.check()).toBe(false);

    now += 60_000;
    await b.intake.accept(watchdogNotification());
    // A second copy (the other replica, or Alertmanager's retry) resolves nothing more.
    await a.intake.accept(watchdogNotification());
    await Promise.all([a.drain(), b.drain()]);
    expect(relayMessages()).toHaveLength(1);
    expect(relayMessages()[0]?.id).toBe(posted?.id);
    expect(relayMessages()[0]?.content).toMatch(/^✅ \*\*Resolved\*\*/);

    // Missing again later: a new message (a new episode), resolved in turn.
    now += TIMEOUT + 1000;
    expect(await b.watchdog.check()).toBe(true);
    await b.drain();
    expect(relayMessages()).toHaveLength(2);
    expect(relayMessages()[1]?.content).toMatch(/^🔥 \*\*Firing\*\*/);
    await a.intake.accept(watchdogNotification());
    await a.drain();
    expect(relayMessages()[1]?.content).toMatch(/^✅ \*\*Resolved\*\*/);
    expect(relayMessages()[0]?.content).toMatch(/^✅ \*\*Resolved\*\*/);
  });

  it('does not take a resolved watchdog (Prometheus stopped sending it) for a heartbeat', async () => {
    const a = replica();
    await a.intake.accept(watchdogNotification());
    now += TIMEOUT + 1;
    const gone = watchdogNotification();
    gone.status = 'resolved';
    gone.alerts = gone.alerts.map((x) => ({
      ...x,
      status: 'resolved',
      endsAt: new Date(now).toISOString(),
    }));
    expect(await a.intake.accept(gone)).toMatchObject({ watchdog: true, id: null });
    expect(await a.watchdog.check()).toBe(true);
    await a.drain();
    expect(relayMessages()).toHaveLength(1);
    expect(sim.channelMessages().some((m) => m.content.includes(': Watchdog'))).toBe(false);
  });

  it('reports nothing while no watchdog ever arrived (none is configured to reach us)', async () => {
    const a = replica();
    now += 10 * TIMEOUT;
    expect(await a.watchdog.check()).toBe(false);
    await a.drain();
    expect(sim.channelMessages()).toEqual([]);
  });

  it('a crash between the report and its mark reports once', async () => {
    const a = replica();
    await a.intake.accept(watchdogNotification());
    now += TIMEOUT + 1;
    // The first attempt dies after the outbox write, before the mark.
    const markMissing = a.repos.alertHeartbeats.markMissing.bind(a.repos.alertHeartbeats);
    a.repos.alertHeartbeats.markMissing = () => Promise.reject(new Error('killed'));
    await expect(a.watchdog.check()).rejects.toThrow('killed');
    a.repos.alertHeartbeats.markMissing = markMissing;
    const restarted = replica();
    expect(await restarted.watchdog.check()).toBe(true);
    await restarted.drain();
    expect(relayMessages()).toHaveLength(1);
  });

  it('a watchdog arriving between the check and its mark takes the report back', async () => {
    const a = replica();
    await a.intake.accept(watchdogNotification());
    now += TIMEOUT + 1;
    const get = a.repos.alertHeartbeats.get.bind(a.repos.alertHeartbeats);
    a.repos.alertHeartbeats.get = async (name) => {
      const seen = await get(name);
      // Alertmanager's next notification lands right after the check read the old time.
      await replica().intake.accept(watchdogNotification());
      return seen;
    };
    expect(await a.watchdog.check()).toBe(false);
    await a.drain();
    const messages = relayMessages();
    // Never left firing.
    expect(messages.every((m) => !m.content.startsWith('🔥'))).toBe(true);
    expect(await get('Watchdog')).toMatchObject({ missingSince: null });
  });
});
