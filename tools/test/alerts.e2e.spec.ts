import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DiscordSimulator, type StoredMessage } from '@chatops/discord-sim';
import {
  alertingApiEnv,
  alertmanagerOverlay,
  freePort,
  prometheusOverlay,
  startAlertmanager,
  startNode,
  startPrometheus,
  waitForHttp,
  type MonitoringServer,
  type RunningProcess,
} from '@chatops/testing';

/**
 * The whole alert path with the real binaries, and under the failures it must survive:
 * Prometheus (the repository's config and rules, 1 s intervals) scrapes the API and a
 * node-exporter stand-in; Alertmanager (the repository's routing, its own discord_configs as the
 * fallback receiver) notifies the API; the API posts to the Discord simulator.
 */
const ROOT = resolve(__dirname, '../..');
const MONITORING = join(ROOT, 'deploy/monitoring');
const BOT_TOKEN = `e2e.${randomBytes(40).toString('base64url')}`;
const ALERT_TOKEN = randomBytes(24).toString('hex');
const INSTANCE_ID = 'api-e2e:1';

let sim: DiscordSimulator;
let fallbackHook: { id: string; url: string };
let alertmanager: MonitoringServer;
let prometheus: MonitoringServer;
let api: RunningProcess;
let apiEnv: Record<string, string>;
let apiPort: number;
let dir: string;
let target: Server;
let targetPort: number;

function serveTarget(port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('node_load1 0.5\n');
  });
  return new Promise((done) => server.listen(port, '127.0.0.1', () => done(server)));
}

const amConfig = (apiPortFor: number, tokenFile: string) =>
  alertmanagerOverlay(readFileSync(join(MONITORING, 'alertmanager.yml'), 'utf8'), {
    webhookUrl: `http://127.0.0.1:${apiPortFor}/v1/alerts/alertmanager`,
    tokenFile,
    fallbackWebhookUrl: fallbackHook.url,
  });

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\nAPI output:\n${api.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Fires (or, with `endsAt`, resolves) `count` alerts of one group in an Alertmanager. */
async function post(
  to: MonitoringServer,
  alertname: string,
  count: number,
  endsAt?: string,
): Promise<void> {
  const alerts = Array.from({ length: count }, (_, i) => ({
    labels: { alertname, environment: 'staging', instance: `host-${i}`, severity: 'warning' },
    annotations: { summary: `${alertname} on host-${i}` },
    ...(endsAt ? { endsAt } : {}),
  }));
  const res = await fetch(`${to.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status}`);
}

const messagesOf = (alertname: string): StoredMessage[] =>
  sim.channelMessages().filter((m) => !m.webhook_id && m.content.includes(`: ${alertname} on`));

async function startApi(): Promise<RunningProcess> {
  const proc = startNode(join(ROOT, 'dist/apps/api/main.js'), apiEnv);
  await waitForHttp(`http://127.0.0.1:${apiPort}/health/ready`, {
    process: proc,
    timeoutMs: 30_000,
  });
  return proc;
}

async function metric(port: number, line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = text.split('\n').find((l) => line.test(l));
  return match ? Number(match.split(' ').pop()) : 0;
}

beforeAll(async () => {
  sim = await new DiscordSimulator({ botToken: BOT_TOKEN, rateLimits: [] }).start();
  fallbackHook = sim.createWebhook('Alertmanager (relay alerts)');
  targetPort = await freePort();
  target = await serveTarget(targetPort);
  apiPort = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'chatops-alert-path-e2e-'));
  const tokenFile = join(dir, 'alertmanager_webhook_token');
  writeFileSync(tokenFile, ALERT_TOKEN);
  alertmanager = await startAlertmanager(amConfig(apiPort, tokenFile));
  const rules = Object.fromEntries(
    readdirSync(join(MONITORING, 'rules')).map((f) => [
      f,
      readFileSync(join(MONITORING, 'rules', f), 'utf8'),
    ]),
  );
  const overlay = prometheusOverlay(
    readFileSync(join(MONITORING, 'prometheus.yml'), 'utf8'),
    rules,
    {
      targets: { api: `127.0.0.1:${apiPort}`, node: `127.0.0.1:${targetPort}` },
      alertmanager: `127.0.0.1:${alertmanager.port}`,
      environment: 'staging',
    },
  );
  prometheus = await startPrometheus(overlay.config, overlay.files);
  apiEnv = {
    ...alertingApiEnv({
      root: ROOT,
      port: apiPort,
      dataDir: dir,
      discord: { botToken: BOT_TOKEN, restUrl: sim.restUrl, channelId: sim.channelId },
      alertToken: ALERT_TOKEN,
      alertmanagerUrl: alertmanager.url,
      logLevel: 'warn',
    }),
    INSTANCE_ID,
    // The watchdog comes every 2 s here (the overlay's interval); missing for 8 s is reported.
    ALERT_WATCHDOG_TIMEOUT_MS: '8000',
  };
  api = await startApi();
}, 90_000);

afterAll(async () => {
  await api?.stop();
  await prometheus?.stop();
  await alertmanager?.stop();
  await sim?.stop();
  target?.close();
});

describe('the alert path with real Prometheus and Alertmanager', () => {
  it('a scrape target going down arrives as an embed; back up, the same message is edited to resolved', async () => {
    const alertMessages = () =>
      sim.channelMessages().filter((m) => m.content.includes('NodeExporterDown'));
    // Up first: Prometheus has scraped it, nothing fires.
    await new Promise((r) => setTimeout(r, 3000));
    expect(alertMessages()).toEqual([]);

    await new Promise<void>((done) => target.close(() => done()));
    target.closeAllConnections();
    const fired = await until(() => alertMessages()[0], 'the firing alert in Discord');
    expect(fired.content).toMatch(/^🔥 \*\*Firing\*\*: NodeExporterDown on staging · 1 alert/);
    expect(fired.embeds[0]).toMatchObject({
      // Label values shown as typed (escaped: Discord shows the text without the backslashes).
      title: `🔥 NodeExporterDown\\: node\\-exporter on 127.0.0.1\\:${targetPort} is down`,
      color: 0xe74c3c,
    });
    expect(JSON.stringify(fired.components)).toContain('Silence 1h');
    expect(JSON.stringify(fired.components)).toContain('docs/runbooks.md#nodeexporterdown');

    target = await serveTarget(targetPort);
    const resolvedMessage = await until(
      () => alertMessages().find((m) => m.content.startsWith('✅ **Resolved**')),
      'the resolved edit',
    );
    expect(resolvedMessage.id).toBe(fired.id);
    expect(resolvedMessage.content).toMatch(
      /^✅ \*\*Resolved\*\* after \d+s: NodeExporterDown on staging$/,
    );
    expect(alertMessages()).toHaveLength(1);
  }, 120_000);

  const SIZES = [1, 10, 11, 100, 125, 400, 5000];

  it('posts groups of 1 to 5,000 alerts, and a truncated group resolves whole', async () => {
    for (const size of SIZES) await post(alertmanager, `GroupOf${size}`, size);
    for (const size of SIZES) {
      const [message] = await until(
        () => (messagesOf(`GroupOf${size}`).length ? messagesOf(`GroupOf${size}`) : undefined),
        `the message of the group of ${size}`,
      );
      const count =
        size > 100
          ? `${size} alerts (100 listed firing)`
          : size === 1
            ? '1 alert'
            : `${size} alerts`;
      expect(message?.content).toContain(`GroupOf${size} on staging · ${count} since`);
    }
    // Alertmanager listed 100 of each larger group; its resolve still ends the whole group.
    const now = new Date(Date.now() - 1000).toISOString();
    for (const size of SIZES) await post(alertmanager, `GroupOf${size}`, size, now);
    for (const size of SIZES)
      await until(
        () =>
          messagesOf(`GroupOf${size}`).find((m) => m.content.startsWith('✅ **Resolved**')) ??
          undefined,
        `the group of ${size} resolved`,
      );
    for (const size of SIZES) expect(messagesOf(`GroupOf${size}`)).toHaveLength(1);
    expect(messagesOf('GroupOf400')[0]?.content).toMatch(/· all 400 alerts$/);
    expect(messagesOf('GroupOf5000')[0]?.content).toMatch(/· all 5000 alerts$/);
  }, 180_000);

  it('recovers from 401s without a restart', async () => {
    sim.refuseAuthNext(3);
    await post(alertmanager, 'AfterUnauthorized', 1);
    const [message] = await until(
      () => (messagesOf('AfterUnauthorized').length ? messagesOf('AfterUnauthorized') : undefined),
      'the alert posted after the 401s',
    );
    expect(message?.content).toMatch(/^🔥 \*\*Firing\*\*: AfterUnauthorized/);
    expect(api.child.exitCode).toBeNull();
  }, 60_000);

  it("gets the relay's own failure to Discord past the relay, through Alertmanager's second receiver", async () => {
    sim.denyChannel(sim.channelId);
    await post(alertmanager, 'RefusedByDiscord', 1);
    await until(
      () => (sim.requests.some((r) => r.startsWith('POST /channels/')) ? true : undefined),
      'a refused post',
    );
    // alert_delivery_failed > 0 → AlertDeliveryBacklog (relay="self") → Alertmanager's own
    // discord_configs → the operators' webhook.
    const fallback = await until(
      () =>
        sim
          .channelMessages()
          .find(
            (m) =>
              m.webhook_id === fallbackHook.id &&
              JSON.stringify(m).includes('AlertDeliveryBacklog'),
          ),
      'the relay alert through the fallback webhook',
      90_000,
    );
    expect(JSON.stringify(fallback.embeds)).toContain('Alerts are not reaching Discord');
    expect(await metric(apiPort, /^alert_delivery_failed[ {]/)).toBeGreaterThan(0);
    sim.allowChannel(sim.channelId);
  }, 120_000);

  it('resumes delivery within 5 s of a restart after kill -9 mid-post', async () => {
    // Discord drops every connection: the post is claimed and retried inside the process.
    sim.goAway(120_000);
    const posts = () => metric(apiPort, /^alert_discord_requests_total\{[^}]*action="post"/);
    const before = await posts();
    await post(alertmanager, 'DuringKill', 1);
    const deadline = Date.now() + 30_000;
    while ((await posts()) === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    try {
      expect(await posts()).toBeGreaterThan(before);
      api.child.kill('SIGKILL');
      await api.exited;
    } finally {
      sim.goAway(0);
    }
    // Measured from the new process's spawn: its start-up counts against the 5 s.
    const restarted = Date.now();
    api = await startApi();
    await until(
      () => (messagesOf('DuringKill').length ? true : undefined),
      'the alert claimed by the killed process',
      5_000,
    );
    const resumedMs = Date.now() - restarted;
    console.log(
      `kill -9 mid-post: the alert reached Discord ${resumedMs} ms after the new process was spawned`,
    );
    expect(resumedMs).toBeLessThan(5_000);
    expect(messagesOf('DuringKill')).toHaveLength(1);
  }, 90_000);

  it('two instances with their own databases on one bot token never collide', async () => {
    const otherPort = await freePort();
    const otherDir = mkdtempSync(join(tmpdir(), 'chatops-alert-path-e2e-b-'));
    const tokenFile = join(otherDir, 'token');
    writeFileSync(tokenFile, ALERT_TOKEN);
    const otherAlertmanager = await startAlertmanager(amConfig(otherPort, tokenFile));
    const other = startNode(join(ROOT, 'dist/apps/api/main.js'), {
      ...apiEnv,
      PORT: String(otherPort),
      INSTANCE_ID: 'api-e2e:2',
      DATABASE_URL: `sqlite:${join(otherDir, 'chatops.sqlite')}`,
      ALERTMANAGER_URL: otherAlertmanager.url,
    });
    try {
      await waitForHttp(`http://127.0.0.1:${otherPort}/health/ready`, {
        process: other,
        timeoutMs: 30_000,
      });
      // The same group, first of its kind in both databases (same row, same episode).
      await post(alertmanager, 'SeenTwice', 3);
      await post(otherAlertmanager, 'SeenTwice', 3);
      const both = await until(
        () => (messagesOf('SeenTwice').length >= 2 ? messagesOf('SeenTwice') : undefined),
        'one message from each instance',
      );
      expect(new Set(both.map((m) => m.id)).size).toBe(2);
    } finally {
      await other.stop();
      await otherAlertmanager.stop();
    }
  }, 120_000);

  it('reports when the watchdog stops arriving (Alertmanager down), and resolves that when it is back', async () => {
    const watchdogs = await metric(
      apiPort,
      /^alert_notifications_received_total\{[^}]*outcome="watchdog"/,
    );
    expect(watchdogs).toBeGreaterThan(0);
    // Never shown itself.
    expect(sim.channelMessages().some((m) => m.content.includes(': Watchdog'))).toBe(false);

    const missing = () =>
      sim.channelMessages().filter((m) => m.content.includes('AlertmanagerWatchdogMissing'));
    const before = new Set(missing().map((m) => m.id));
    const port = alertmanager.port;
    const dataDir = join(alertmanager.dir, 'data');
    await alertmanager.stop();
    const stopped = Date.now();
    const reported = await until(
      () => missing().find((m) => !before.has(m.id) && m.content.startsWith('🔥')),
      'the relay reporting the missing watchdog',
      30_000,
    );
    console.log(`watchdog missing reported ${Date.now() - stopped} ms after Alertmanager stopped`);
    expect(JSON.stringify(reported.embeds)).toContain(
      "Alertmanager's Watchdog alert has stopped arriving",
    );

    // Back on its port (Prometheus sends there), with its notification log.
    alertmanager = await startAlertmanager(
      amConfig(apiPort, join(dir, 'alertmanager_webhook_token')),
      {},
      {
        port,
        dataDir,
      },
    );
    await until(
      () =>
        missing()
          .find((m) => m.id === reported.id)
          ?.content.startsWith('✅')
          ? true
          : undefined,
      'the report resolved in place',
      30_000,
    );
    expect(missing().filter((m) => !before.has(m.id))).toHaveLength(1);
  }, 90_000);
});
