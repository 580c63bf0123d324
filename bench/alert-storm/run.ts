// Alert storm: 2,000 alerts in 200 groups hit a real Alertmanager at once. It notifies two
// receivers side by side: ours (webhook → API → outbox → Discord) and its own discord_configs
// (straight to a Discord webhook). The Discord simulator enforces channel and webhook rate
// limits, answers 5% of requests with a 429, and goes away for 30 s; the API is killed with
// SIGKILL mid-storm and restarted. Then every alert resolves. Prints delivered, duplicated and
// lost alerts, messages, time to drain, and resolves shown, for both.
// Run: npm run bench:alert-storm
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DiscordSimulator, type StoredMessage } from '@chatops/discord-sim';
import {
  alertingApiEnv,
  freePort,
  startAlertmanager,
  startNode,
  type RunningProcess,
} from '@chatops/testing';
import { run, verdict, waitFor } from '../shared';

const ROOT = process.cwd();
const GROUPS = Number(process.env['STORM_GROUPS'] ?? 200);
const PER_GROUP = Number(process.env['STORM_ALERTS_PER_GROUP'] ?? 10);
const OUTAGE_MS = Number(process.env['STORM_OUTAGE_MS'] ?? 30_000);
const DRAIN_LIMIT_MS = Number(process.env['STORM_DRAIN_LIMIT_MS'] ?? 15 * 60_000);
// Both receivers learn of a change (a resolve, or a retry after a failure) at this interval.
const GROUP_INTERVAL = process.env['STORM_GROUP_INTERVAL'] ?? '30s';
const GROUP_OF = /g\d{3}/;
// Our messages show label values escaped for Discord (`storm\-00042`, a backslash more in JSON).
const ID = /storm(?:\\)*-\d{5}/g;

interface Figures {
  delivered: number;
  duplicated: number;
  lost: number;
  messages: number;
  drainedMs: number | null;
}

function figures(messages: StoredMessage[], total: number, drainedMs: number | null): Figures {
  const seen = new Map<string, number>();
  for (const m of messages)
    for (const id of new Set(
      (JSON.stringify([m.content, m.embeds]).match(ID) ?? []).map((x) => x.replace(/\\/g, '')),
    ))
      seen.set(id, (seen.get(id) ?? 0) + 1);
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  return {
    delivered: seen.size,
    duplicated,
    lost: total - seen.size,
    messages: messages.length,
    drainedMs,
  };
}

async function main(): Promise<number> {
  const total = GROUPS * PER_GROUP;
  const botToken = `bench.${randomBytes(40).toString('base64url')}`;
  const sim = await new DiscordSimulator({
    botToken,
    rateLimits: [
      // Discord: about 5 messages per 5 s per channel; 5 executions per 2 s per webhook.
      { route: /^(POST|PATCH) \/channels\/\d+\/messages/, limit: 5, windowMs: 5000 },
      { route: /^POST \/webhooks\//, limit: 5, windowMs: 2000 },
    ],
  }).start();
  sim.rateLimits.injectRandom(/^(POST|PATCH) \/(channels|webhooks)\//, 0.05, 1000);
  const hook = sim.createWebhook('Alertmanager');

  const dir = mkdtempSync(join(tmpdir(), 'bench-alert-storm-'));
  const tokenFile = join(dir, 'token');
  const alertToken = randomBytes(24).toString('hex');
  writeFileSync(tokenFile, alertToken);
  const apiPort = await freePort();
  const alertmanager = await startAlertmanager(
    stringify({
      route: {
        receiver: 'chatops',
        group_by: ['group'],
        group_wait: '2s',
        group_interval: GROUP_INTERVAL,
        repeat_interval: '1h',
        routes: [{ receiver: 'discord-native', continue: true }, { receiver: 'chatops' }],
      },
      receivers: [
        {
          name: 'chatops',
          webhook_configs: [
            {
              url: `http://127.0.0.1:${apiPort}/v1/alerts/alertmanager`,
              max_alerts: 100,
              http_config: { authorization: { type: 'Bearer', credentials_file: tokenFile } },
            },
          ],
        },
        {
          name: 'discord-native',
          discord_configs: [
            {
              webhook_url: hook.url,
              title: '{{ .Status }} {{ .GroupLabels.group }}',
              message: '{{ range .Alerts }}{{ .Labels.alert_id }} {{ end }}',
            },
          ],
        },
      ],
    }),
  );
  const apiEnv = alertingApiEnv({
    root: ROOT,
    port: apiPort,
    dataDir: dir,
    discord: { botToken, restUrl: sim.restUrl, channelId: sim.channelId },
    alertToken,
  });
  const startApi = async () => {
    const api = startNode(join(ROOT, 'dist/apps/api/main.js'), apiEnv);
    await waitFor(`http://127.0.0.1:${apiPort}/health/ready`);
    return api;
  };
  let api: RunningProcess = await startApi();

  console.log(
    `# Alert storm: ${total} alerts in ${GROUPS} groups, 5% 429s, Discord away ${OUTAGE_MS / 1000} s, API killed -9 once`,
  );
  const alerts = Array.from({ length: total }, (_, i) => ({
    labels: {
      alertname: 'StormAlert',
      group: `g${String(Math.floor(i / PER_GROUP)).padStart(3, '0')}`,
      alert_id: `storm-${String(i).padStart(5, '0')}`,
      severity: 'warning',
    },
    annotations: { summary: `storm alert ${i}` },
    // Firing until the resolve phase ends them: without an end, Alertmanager resolves an alert
    // by itself after resolve_timeout (5 minutes), in the middle of the drain. The start is given
    // too: Alertmanager takes a missing start from the end.
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  }));
  const started = Date.now();
  const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (!posted.ok) throw new Error(`Alertmanager refused the alerts: ${posted.status}`);

  // Mid-storm: Alertmanager has notified (group_wait 2 s) and delivery is under way.
  await new Promise((r) => setTimeout(r, 4000));
  api.child.kill('SIGKILL');
  await api.exited;
  console.log(`t+${((Date.now() - started) / 1000).toFixed(1)} s: API killed (SIGKILL)`);
  api = await startApi();
  console.log(`t+${((Date.now() - started) / 1000).toFixed(1)} s: API restarted`);
  await new Promise((r) => setTimeout(r, 4000));
  sim.goAway(OUTAGE_MS);
  console.log(
    `t+${((Date.now() - started) / 1000).toFixed(1)} s: Discord away for ${OUTAGE_MS / 1000} s`,
  );

  const ours = () =>
    sim.channelMessages().filter((m) => !m.webhook_id || m.webhook_id === sim.applicationId);
  const native = () => sim.channelMessages().filter((m) => m.webhook_id === hook.id);
  let oursDrained: number | null = null;
  let nativeDrained: number | null = null;
  let lastNativeCount = 0;
  let lastNativeChange = Date.now();
  while (Date.now() - started < DRAIN_LIMIT_MS) {
    await new Promise((r) => setTimeout(r, 1000));
    if (oursDrained === null && figures(ours(), total, null).delivered === total)
      oursDrained = Date.now() - started;
    const nativeNow = figures(native(), total, null);
    if (nativeDrained === null && nativeNow.delivered === total)
      nativeDrained = Date.now() - started;
    if (native().length !== lastNativeCount) {
      lastNativeCount = native().length;
      lastNativeChange = Date.now();
    }
    // Alertmanager's own receiver has given up after a minute of silence; while it keeps
    // retrying (every group_interval), it gets 5 minutes more than ours took.
    const nativeSettled =
      nativeDrained !== null ||
      Date.now() - lastNativeChange > 60_000 ||
      (oursDrained !== null && Date.now() - started > oursDrained + 5 * 60_000);
    if (oursDrained !== null && nativeSettled) break;
  }
  // Delivery figures before the resolve phase (Alertmanager's resolves are new messages).
  const a = figures(ours(), total, oursDrained);
  const b = figures(native(), total, nativeDrained);

  // Resolve phase: every alert ends; each group's resolve must show in Discord.
  const resolveStarted = Date.now();
  const resolvedAlerts = alerts.map((a) => ({ ...a, endsAt: new Date().toISOString() }));
  const resolvedPost = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(resolvedAlerts),
  });
  if (!resolvedPost.ok)
    throw new Error(`Alertmanager refused the resolves: ${resolvedPost.status}`);
  console.log(`t+${((Date.now() - started) / 1000).toFixed(1)} s: all ${total} alerts resolved`);
  // Ours: the group's one message edited to resolved. Alertmanager's: a new "resolved" message.
  // (Ours has exactly one message per group: checked below.)
  const oursResolved = () => ours().filter((m) => m.content.startsWith('✅ **Resolved**')).length;
  const nativeResolved = () =>
    new Set(
      native()
        .filter((m) => m.embeds.some((e) => String(e.title ?? '').startsWith('resolved ')))
        .map((m) => GROUP_OF.exec(String(m.embeds[0]?.title ?? ''))?.[0]),
    ).size;
  let oursResolvedMs: number | null = null;
  let nativeResolvedMs: number | null = null;
  const resolveLimit = Date.now() + 5 * 60_000;
  while (Date.now() < resolveLimit && (oursResolvedMs === null || nativeResolvedMs === null)) {
    await new Promise((r) => setTimeout(r, 1000));
    if (oursResolvedMs === null && oursResolved() === GROUPS)
      oursResolvedMs = Date.now() - resolveStarted;
    if (nativeResolvedMs === null && nativeResolved() === GROUPS)
      nativeResolvedMs = Date.now() - resolveStarted;
  }
  const resolveLine = (name: string, shown: number, ms: number | null) =>
    console.log(
      `${name}: resolves shown ${shown}/${GROUPS} groups (${((shown / GROUPS) * 100).toFixed(0)} %)${
        ms === null ? ', not all within 5 minutes' : ` in ${(ms / 1000).toFixed(1)} s`
      }`,
    );

  const requests = (prefix: string) => sim.requests.filter((r) => r.startsWith(prefix)).length;
  const line = (name: string, f: Figures, calls: number) =>
    console.log(
      `${name}: delivered ${f.delivered}/${total}, duplicated ${f.duplicated}, lost ${f.lost}, ` +
        `messages ${f.messages}, Discord requests ${calls}, drained ${
          f.drainedMs === null
            ? 'never (within the limit)'
            : `in ${(f.drainedMs / 1000).toFixed(1)} s`
        }`,
    );
  line(
    'ChatOps relay (webhook → outbox → bot REST)',
    a,
    requests('POST /channels/') + requests('PATCH /channels/'),
  );
  line("Alertmanager's discord_configs              ", b, requests('POST /webhooks/'));
  console.log(`429s answered by the simulator: ${sim.rateLimits.limited}`);
  resolveLine('ChatOps relay (one message per group, edited)', oursResolved(), oursResolvedMs);
  resolveLine("Alertmanager's discord_configs (a new message)", nativeResolved(), nativeResolvedMs);

  await api.stop();
  await alertmanager.stop();
  await sim.stop();
  const missed: string[] = [];
  if (a.lost > 0) missed.push(`${a.lost} alerts lost`);
  if (a.duplicated > 0) missed.push(`${a.duplicated} alerts duplicated`);
  if (a.messages !== GROUPS) missed.push(`${a.messages} messages for ${GROUPS} groups`);
  if (oursResolved() !== GROUPS) missed.push(`${GROUPS - oursResolved()} resolves not shown`);
  return verdict(missed);
}

run(main);
