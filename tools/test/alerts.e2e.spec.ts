import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
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
 * The whole alert path with the real binaries: Prometheus (the repository's config and rules,
 * 1 s intervals) scrapes a node-exporter stand-in; Alertmanager (the repository's routing)
 * posts to the API; the API posts to the Discord simulator. The target goes down: an embed
 * arrives. It comes back: the same message is edited to resolved.
 */
const ROOT = resolve(__dirname, '../..');
const MONITORING = join(ROOT, 'deploy/monitoring');
const BOT_TOKEN = `e2e.${randomBytes(40).toString('base64url')}`;
const ALERT_TOKEN = randomBytes(24).toString('hex');

let sim: DiscordSimulator;
let alertmanager: MonitoringServer;
let prometheus: MonitoringServer;
let api: RunningProcess;
let target: Server;
let targetPort: number;

function serveTarget(port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('node_load1 0.5\n');
  });
  return new Promise((done) => server.listen(port, '127.0.0.1', () => done(server)));
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\nAPI output:\n${api.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  sim = await new DiscordSimulator({ botToken: BOT_TOKEN }).start();
  targetPort = await freePort();
  target = await serveTarget(targetPort);
  const apiPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'chatops-alerts-e2e-'));
  const tokenFile = join(dir, 'alertmanager_webhook_token');
  writeFileSync(tokenFile, ALERT_TOKEN);
  alertmanager = await startAlertmanager(
    alertmanagerOverlay(readFileSync(join(MONITORING, 'alertmanager.yml'), 'utf8'), {
      webhookUrl: `http://127.0.0.1:${apiPort}/v1/alerts/alertmanager`,
      tokenFile,
      fallbackWebhookUrl: sim.createWebhook('Alertmanager').url,
    }),
  );
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
      targets: { node: `127.0.0.1:${targetPort}` },
      alertmanager: `127.0.0.1:${alertmanager.port}`,
      environment: 'staging',
    },
  );
  prometheus = await startPrometheus(overlay.config, overlay.files);
  api = startNode(
    join(ROOT, 'dist/apps/api/main.js'),
    alertingApiEnv({
      root: ROOT,
      port: apiPort,
      dataDir: dir,
      discord: { botToken: BOT_TOKEN, restUrl: sim.restUrl, channelId: sim.channelId },
      alertToken: ALERT_TOKEN,
      alertmanagerUrl: alertmanager.url,
      logLevel: 'warn',
    }),
  );
  await waitForHttp(`http://127.0.0.1:${apiPort}/health/ready`, {
    process: api,
    timeoutMs: 30_000,
  });
}, 90_000);

afterAll(async () => {
  await api?.stop();
  await prometheus?.stop();
  await alertmanager?.stop();
  await sim?.stop();
  target?.close();
});

const alertMessages = (): StoredMessage[] =>
  sim.channelMessages().filter((m) => m.content.includes('NodeExporterDown'));

describe('a scrape target going down and coming back', () => {
  it('arrives as an embed, then the same message is edited to resolved', async () => {
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
});
