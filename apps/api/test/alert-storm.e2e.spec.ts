import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DiscordSimulator, type StoredMessage } from '@chatops/discord-sim';
import {
  alertInstance,
  alertNotification,
  eventually,
  freePorts,
  PostgresServer,
  RunningProcess,
  resolved,
  startApiProcess,
  startPostgres,
} from '@chatops/testing';

/**
 * An alert storm sent as Alertmanager does (each notification more than once: retries, an HA
 * pair) to real API processes: on SQLite (one process) and on PostgreSQL (two processes on one
 * database, copies spread over both). Every group is shown once, in digests; the prod critical
 * goes to #incidents and pings exactly the on-call role; resolves edit in place and the
 * critical's resolve is told in its thread.
 */
const TOKEN = 'alert-storm-service-token-'.padEnd(48, 'z');
const BOT_TOKEN = `sim.${'b'.repeat(60)}`;
const ALERT_TOKEN = 'alert-storm-webhook-token-'.padEnd(40, 'w');
const ONCALL = '515151515151515151';
const GROUPS = 60;
const COPIES = 3;

const backends = [
  { name: 'SQLite, one API process', instances: 1, postgres: false },
  { name: 'PostgreSQL, two API processes on one database', instances: 2, postgres: true },
];

function probe(host: number, labels: Record<string, string> = {}) {
  const alert = alertInstance(`storm-${host}`, {
    labels: { alertname: 'ProbeFailed', instance: `host-${host}`, severity: 'warning', ...labels },
  });
  const group = {
    groupLabels: { alertname: 'ProbeFailed', instance: `host-${host}` },
    groupKey: `{}:{alertname="ProbeFailed",instance="host-${host}"}`,
  };
  return {
    firing: alertNotification([alert], group),
    resolved: alertNotification([resolved(alert)], group),
  };
}

const textOf = (m: StoredMessage) =>
  [m.content, ...m.embeds.map((e) => String(e['description'] ?? ''))].join('\n');

describe.each(backends)('an alert storm on $name', (backend) => {
  let dir: string;
  let postgres: PostgresServer | undefined;
  let sim: DiscordSimulator;
  let incidents: string;
  let ports: number[];
  const apis: RunningProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatops-alert-storm-'));
    sim = await new DiscordSimulator({ botToken: BOT_TOKEN }).start();
    incidents = sim.addChannel('incidents');
    const catalog = parse(readFileSync(join(__dirname, '../../../chatops.config.yaml'), 'utf8'));
    catalog.alerts = {
      routes: [{ environments: ['prod'], severities: ['critical'], channel: incidents }],
      onCall: { role: ONCALL },
    };
    const catalogPath = join(dir, 'catalog.yaml');
    writeFileSync(catalogPath, stringify(catalog));
    ports = await freePorts(backend.instances);
    if (backend.postgres) postgres = await startPostgres();
    const databaseUrl = postgres?.url ?? `sqlite:${join(dir, 'chatops.sqlite')}`;
    for (const port of ports)
      apis.push(
        await startApiProcess({
          port,
          databaseUrl,
          serviceToken: TOKEN,
          env: {
            CATALOG_PATH: catalogPath,
            INSTANCE_ID: `api-${port}`,
            DISCORD_TOKEN: BOT_TOKEN,
            DISCORD_API_URL: sim.restUrl,
            ALERTS_CHANNEL_ID: sim.channelId,
            ALERTMANAGER_WEBHOOK_TOKEN: ALERT_TOKEN,
          },
        }),
      );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(apis.map((api) => api.stop('SIGKILL')));
    await sim?.stop();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The i-th notification goes to instance i mod n, as a load balancer spreads them. */
  const send = (i: number, body: unknown) =>
    fetch(`http://127.0.0.1:${ports[i % ports.length]}/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.status);

  const showing = (host: number, channelId = sim.channelId) =>
    sim.channelMessages(channelId).filter((m) => textOf(m).includes(`\`instance=host-${host}\``));
  const hosts = Array.from({ length: GROUPS }, (_, i) => i + 1);
  /** The line showing the host's group (a digest line, or a message's headline) says resolved. */
  const resolvedLine = (host: number) =>
    showing(host).some((m) =>
      textOf(m)
        .split('\n')
        .some((line) => line.includes(`\`instance=host-${host}\``) && line.includes('✅')),
    );

  it('shows every group once, in digests; the prod critical in #incidents pinging the on-call role', async () => {
    const critical = probe(999, { severity: 'critical', environment: 'prod' });
    const notifications = [...hosts.map((host) => probe(host).firing), critical.firing];
    const copies = notifications.flatMap((n) => Array.from({ length: COPIES }, () => n));
    const statuses = await Promise.all(copies.map((n, i) => send(i, n)));
    expect(new Set(statuses)).toEqual(new Set([202]));

    await eventually(
      'every group to be shown',
      async () =>
        hosts.every((host) => showing(host).length > 0) && showing(999, incidents).length > 0
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    );
    // Settled: nothing more arrives.
    await new Promise((r) => setTimeout(r, 1500));
    for (const host of hosts) expect(showing(host)).toHaveLength(1);
    // The copies arrive over a few hundred milliseconds: a round that saw 20 groups or fewer
    // waiting posts them singly; once more wait, the rest go to digests of 25.
    const messages = sim.channelMessages();
    expect(messages.filter((m) => m.content.includes('Alert storm')).length).toBeGreaterThan(0);
    expect(messages.length).toBeLessThan(GROUPS / 2);
    const [message] = showing(999, incidents);
    expect(sim.channelMessages(incidents)).toHaveLength(1);
    expect(message?.content.startsWith(`<@&${ONCALL}> 🔥 **Firing**: ProbeFailed on prod`)).toBe(
      true,
    );
    expect(message?.pinged).toEqual({ roles: [ONCALL], users: [], everyone: false });
    for (const m of messages) expect(m.pinged).toEqual({ roles: [], users: [], everyone: false });
  }, 60_000);

  it('edits every group to resolved in place, and tells the critical’s resolve in its thread once', async () => {
    const critical = probe(999, { severity: 'critical', environment: 'prod' });
    const notifications = [...hosts.map((host) => probe(host).resolved), critical.resolved];
    const copies = notifications.flatMap((n) => Array.from({ length: COPIES }, () => n));
    await Promise.all(copies.map((n, i) => send(i, n)));
    const messagesBefore = sim.channelMessages().length;
    await eventually(
      'every group to show its resolve',
      async () =>
        hosts.every((host) => resolvedLine(host)) &&
        showing(999, incidents)[0]?.content.startsWith('✅ **Resolved**')
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(sim.channelMessages()).toHaveLength(messagesBefore);
    for (const host of hosts) expect(showing(host)).toHaveLength(1);
    const [message] = showing(999, incidents);
    expect(sim.channelMessages(message?.id).map((m) => m.content)).toEqual([
      '✅ Resolved after 12m 0s: ProbeFailed on prod `instance=host-999`',
    ]);
  }, 60_000);
});
