// Alert storm, both paths side by side from one run: a real Alertmanager with the production
// route timings (group_wait 30 s, group_interval 5 m) notifies ours (webhook → API → outbox →
// Discord REST) and its own discord_configs (straight to a Discord webhook) about 200 groups,
// two of them above max_alerts. While both are sending, the API and Alertmanager are each killed
// with SIGKILL and restarted, and Discord goes away for 30 s. Then every alert resolves.
// Run: npm run bench:alert-storm   (about 22 minutes: two windows of two group intervals)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DiscordSimulator, type StoredMessage } from '@chatops/discord-sim';
import {
  alertingApiEnv,
  freePort,
  startAlertmanager,
  startNode,
  type MonitoringServer,
  type RunningProcess,
} from '@chatops/testing';
import { percentile, run, verdict, waitFor } from '../shared';

const ROOT = process.cwd();
const GROUPS = Number(process.env['STORM_GROUPS'] ?? 200);
const PER_GROUP = Number(process.env['STORM_ALERTS_PER_GROUP'] ?? 10);
/** Groups g000 and g001 hold more alerts than max_alerts (100) lets one notification list. */
const BIG_GROUPS = [150, 600];
const OUTAGE_MS = Number(process.env['STORM_OUTAGE_MS'] ?? 30_000);
const GROUP_WAIT = process.env['STORM_GROUP_WAIT'] ?? '30s';
const GROUP_INTERVAL = process.env['STORM_GROUP_INTERVAL'] ?? '5m';

function ms(duration: string): number {
  const match = /^(\d+)(s|m)$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * (match[2] === 'm' ? 60_000 : 1000);
}
/** Each phase lasts two group intervals after the first send: Alertmanager's receiver gets two retries. */
const WINDOW_MS =
  Number(process.env['STORM_WINDOW_MS'] ?? 0) || ms(GROUP_WAIT) + 2 * ms(GROUP_INTERVAL);

type Phase = 'firing' | 'resolved';
const groupName = (i: number) => `g${String(i).padStart(3, '0')}`;
const sizeOf = (i: number) => BIG_GROUPS[i] ?? PER_GROUP;

/** What one path showed, group by group. */
class PathRecord {
  /** When the sender handed each group's notification over: our intake's 202, or AM's send. */
  readonly handedAt = { firing: new Map<string, number>(), resolved: new Map<string, number>() };
  readonly visibleAt = { firing: new Map<string, number>(), resolved: new Map<string, number>() };
  /** The channel messages that showed each group firing (more than one: a duplicate). */
  readonly shownIn = new Map<string, Set<string>>();
  /** Alerts shown per group: listed by id, or counted in the group's line. */
  readonly alertsShown = new Map<string, number>();
  readonly messages = new Set<string>();
  threadReplies = 0;
  /** The first message or edit after Discord came back. */
  firstAfterOutage: number | null = null;

  see(group: string, phase: Phase, messageId: string, at: number): void {
    if (!this.visibleAt[phase].has(group)) this.visibleAt[phase].set(group, at);
    if (phase === 'firing') {
      const shown = this.shownIn.get(group) ?? new Set<string>();
      shown.add(messageId);
      this.shownIn.set(group, shown);
    }
  }

  alerts(group: string, count: number): void {
    this.alertsShown.set(group, Math.max(this.alertsShown.get(group) ?? 0, count));
  }

  /**
   * Seconds to visible for every group, ascending: from its hand-over, or from `since`; a group
   * never shown counts as never (Infinity), so the max is the time until every group was visible.
   */
  latencies(phase: Phase, since?: number): number[] {
    const list: number[] = [];
    for (let i = 0; i < GROUPS; i++) {
      const group = groupName(i);
      const at = this.visibleAt[phase].get(group);
      const from = since ?? this.handedAt[phase].get(group) ?? at;
      list.push(at === undefined || from === undefined ? Infinity : Math.max(0, at - from) / 1000);
    }
    return list.sort((a, b) => a - b);
  }
}

/** Forwards each request to `target` and reports it; a dropped connection is dropped back. */
async function recordingProxy(
  target: string,
  report: (body: unknown, status: number | null, sentAt: number) => void,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sentAt = Date.now();
      const raw = Buffer.concat(chunks);
      let body: unknown = null;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        // not JSON: reported as null
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (req.headers.authorization) headers['authorization'] = req.headers.authorization;
      fetch(`${target}${(req.url ?? '/').replace(/^\/[^?]*/, '')}`, {
        method: req.method,
        headers,
        body: raw,
      }).then(
        async (answer) => {
          const text = await answer.text();
          report(body, answer.status, sentAt);
          const forward: Record<string, string> = {};
          answer.headers.forEach((value, key) => {
            if (key === 'content-type' || key.startsWith('x-ratelimit') || key === 'retry-after')
              forward[key] = value;
          });
          res.writeHead(answer.status, forward);
          res.end(text);
        },
        () => {
          report(body, null, sentAt);
          req.socket.destroy();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Our messages: each line naming `group=gNNN` shows that group, resolved when it has ✅. */
function readOurs(record: PathRecord, message: StoredMessage, at: number): void {
  const lines = [message.content, ...message.embeds.map((e) => String(e['description'] ?? ''))]
    .join('\n')
    .split('\n');
  for (const line of lines) {
    const group = /`group=(g\d{3})`/.exec(line)?.[1];
    if (!group) continue;
    const phase: Phase = line.includes('✅') ? 'resolved' : 'firing';
    record.see(group, phase, message.id, at);
    const count = /· (\d+) alerts?\b/.exec(line)?.[1];
    if (phase === 'firing' && count) record.alerts(group, Number(count));
  }
}

/** Alertmanager's messages: the title says status and group; the text lists the alert ids. */
function readNative(record: PathRecord, message: StoredMessage, at: number): void {
  const title = String(message.embeds[0]?.['title'] ?? '');
  const match = /^(firing|resolved) (g\d{3})/.exec(title);
  if (!match) return;
  const [, phase, group] = match as unknown as [string, Phase, string];
  record.see(group, phase, message.id, at);
  if (phase === 'firing') {
    const ids = new Set(String(message.embeds[0]?.['description'] ?? '').match(/storm-\d{5}/g));
    record.alerts(group, ids.size);
  }
}

async function main(): Promise<number> {
  const total = Array.from({ length: GROUPS }, (_, i) => sizeOf(i)).reduce((a, b) => a + b, 0);
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

  const ours = new PathRecord();
  const native = new PathRecord();
  let outageEnds = Number.POSITIVE_INFINITY;
  const onMessage = (message: StoredMessage) => {
    const at = Date.now();
    const record = message.webhook_id === hook.id ? native : ours;
    if (message.channel_id !== sim.channelId) {
      record.threadReplies++;
      return;
    }
    record.messages.add(message.id);
    if (at >= outageEnds && record.firstAfterOutage === null) record.firstAfterOutage = at;
    if (record === native) readNative(native, message, at);
    else readOurs(ours, message, at);
  };
  sim.on('message', onMessage);
  sim.on('message-update', onMessage);

  const dir = mkdtempSync(join(tmpdir(), 'bench-alert-storm-'));
  const tokenFile = join(dir, 'token');
  const alertToken = randomBytes(24).toString('hex');
  writeFileSync(tokenFile, alertToken);
  const apiPort = await freePort();
  // Hand-over times: the API's 202 for each group, Alertmanager's first send to its webhook.
  const ourProxy = await recordingProxy(
    `http://127.0.0.1:${apiPort}/v1/alerts/alertmanager`,
    (body, status) => {
      const n = body as { groupLabels?: { group?: string }; status?: Phase } | null;
      const group = n?.groupLabels?.group;
      if (status === 202 && group && n?.status && !ours.handedAt[n.status].has(group))
        ours.handedAt[n.status].set(group, Date.now());
    },
  );
  const nativeProxy = await recordingProxy(hook.url, (body, _status, sentAt) => {
    const title = String((body as { embeds?: { title?: string }[] })?.embeds?.[0]?.title ?? '');
    const match = /^(firing|resolved) (g\d{3})/.exec(title);
    if (match && !native.handedAt[match[1] as Phase].has(match[2] as string))
      native.handedAt[match[1] as Phase].set(match[2] as string, sentAt);
  });

  const amConfig = stringify({
    route: {
      receiver: 'chatops',
      group_by: ['group'],
      group_wait: GROUP_WAIT,
      group_interval: GROUP_INTERVAL,
      repeat_interval: '4h',
      routes: [{ receiver: 'discord-native', continue: true }, { receiver: 'chatops' }],
    },
    receivers: [
      {
        name: 'chatops',
        webhook_configs: [
          {
            url: ourProxy.url,
            max_alerts: 100,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials_file: tokenFile } },
          },
        ],
      },
      {
        name: 'discord-native',
        discord_configs: [
          {
            webhook_url: nativeProxy.url,
            send_resolved: true,
            title: '{{ .Status }} {{ .GroupLabels.group }}',
            message: '{{ range .Alerts }}{{ .Labels.alert_id }} {{ end }}',
          },
        ],
      },
    ],
  });
  const amData = join(dir, 'alertmanager');
  let alertmanager: MonitoringServer = await startAlertmanager(amConfig, {}, { dataDir: amData });
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

  const started = Date.now();
  const at = () => `t+${((Date.now() - started) / 1000).toFixed(1)} s`;
  const alerts = (endsAt: number) => {
    const list = [];
    for (let g = 0, id = 0; g < GROUPS; g++)
      for (let a = 0; a < sizeOf(g); a++, id++)
        list.push({
          labels: {
            alertname: 'StormAlert',
            group: groupName(g),
            alert_id: `storm-${String(id).padStart(5, '0')}`,
            severity: 'warning',
          },
          annotations: { summary: `storm alert ${id}` },
          // An end in the future keeps them firing (Alertmanager would resolve them by itself
          // after resolve_timeout); the start is given, as Alertmanager takes a missing one from
          // the end.
          startsAt: new Date(started).toISOString(),
          endsAt: new Date(endsAt).toISOString(),
        });
    return list;
  };
  // As Prometheus does: the alerts, sent again until they are taken (and after a restart).
  const send = async (list: unknown[]) => {
    const answer = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(list),
    });
    if (!answer.ok) throw new Error(`Alertmanager refused the alerts: ${answer.status}`);
  };
  const firing = alerts(started + 3_600_000);
  console.log(
    `# Alert storm: ${total} alerts in ${GROUPS} groups (${BIG_GROUPS.join(' and ')} alerts in two, max_alerts 100), ` +
      `group_wait ${GROUP_WAIT}, group_interval ${GROUP_INTERVAL}, 5% 429s; ` +
      `API and Alertmanager killed -9 once each, Discord away ${OUTAGE_MS / 1000} s, while both paths send`,
  );
  await send(firing);

  // While both paths send (their first notifications leave after group_wait): Alertmanager is
  // killed and restarted (Prometheus sends the alerts again), then the API, then Discord goes
  // away.
  const firstSend = started + ms(GROUP_WAIT);
  const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
  await sleepUntil(firstSend + 500);
  await alertmanager.process.stop('SIGKILL');
  alertmanager = await startAlertmanager(
    amConfig,
    {},
    { dataDir: amData, port: alertmanager.port },
  );
  await send(firing);
  console.log(`${at()}: Alertmanager killed (SIGKILL), restarted, alerts sent again`);
  await sleepUntil(firstSend + 2000);
  api.child.kill('SIGKILL');
  await api.exited;
  api = await startApi();
  console.log(`${at()}: API killed (SIGKILL) and restarted`);
  await sleepUntil(firstSend + 3000);
  sim.goAway(OUTAGE_MS);
  outageEnds = Date.now() + OUTAGE_MS;
  // Which paths still had groups to show when Discord came back: only theirs is a recovery.
  const waitingAfterOutage = new Map<PathRecord, boolean>();
  setTimeout(() => {
    for (const record of [ours, native])
      waitingAfterOutage.set(record, record.visibleAt.firing.size < GROUPS);
  }, OUTAGE_MS);
  console.log(`${at()}: Discord away for ${OUTAGE_MS / 1000} s`);

  const allVisible = (record: PathRecord, phase: Phase) => record.visibleAt[phase].size === GROUPS;
  const phaseEnd = started + WINDOW_MS;
  while (Date.now() < phaseEnd && !(allVisible(ours, 'firing') && allVisible(native, 'firing')))
    await new Promise((r) => setTimeout(r, 1000));
  const firingMs = Date.now() - started;

  console.log(`${at()}: every alert resolves`);
  const resolveStarted = Date.now();
  await send(alerts(resolveStarted));
  const resolveEnd = resolveStarted + 2 * ms(GROUP_INTERVAL) + 30_000;
  while (
    Date.now() < resolveEnd &&
    !(allVisible(ours, 'resolved') && allVisible(native, 'resolved'))
  )
    await new Promise((r) => setTimeout(r, 1000));

  const requests = (prefix: string) => sim.requests.filter((r) => r.startsWith(prefix)).length;
  const paths = [
    { record: ours, calls: requests('POST /channels/') + requests('PATCH /channels/') },
    { record: native, calls: requests('POST /webhooks/') },
  ];
  const figure = (of: (record: PathRecord, calls: number) => number) =>
    paths.map((p) => of(p.record, p.calls)) as [number, number];
  const alertsShown = (record: PathRecord) =>
    [...record.alertsShown].reduce(
      (sum, [group, n]) => sum + Math.min(n, sizeOf(Number(group.slice(1)))),
      0,
    );
  const p50 = (list: number[]) => percentile(list, 50);
  const max = (list: number[]) => list.at(-1) ?? NaN;
  const secs = (n: number) =>
    Number.isNaN(n) ? '—' : n === Infinity ? 'never' : `${n.toFixed(1)} s`;
  const minutes = (n: number) => `${(n / 60_000).toFixed(1)} min`;
  const of = (n: number, all: number) => `${n}/${all}`;
  const duplicated = (record: PathRecord) =>
    [...record.shownIn.values()].filter((shown) => shown.size > 1).length;
  type Row = [string, [number, number], 'more' | 'less' | 'info', (n: number) => string];
  const rows: Row[] = [
    [
      `groups shown within ${minutes(firingMs)}`,
      figure((r) => r.visibleAt.firing.size),
      'more',
      (n) => of(n, GROUPS),
    ],
    [`alerts shown within ${minutes(firingMs)}`, figure(alertsShown), 'more', (n) => of(n, total)],
    [
      'visible p50, from the alerts',
      figure((r) => p50(r.latencies('firing', started))),
      'less',
      secs,
    ],
    [
      'every group visible, from the alerts',
      figure((r) => max(r.latencies('firing', started))),
      'less',
      secs,
    ],
    ['visible p50, from hand-over', figure((r) => p50(r.latencies('firing'))), 'less', secs],
    [
      'every group visible, from hand-over',
      figure((r) => max(r.latencies('firing'))),
      'less',
      secs,
    ],
    [
      `resolves shown within ${minutes(resolveEnd - resolveStarted)}`,
      figure((r) => r.visibleAt.resolved.size),
      'more',
      (n) => of(n, GROUPS),
    ],
    [
      'resolve p50, from the resolve',
      figure((r) => p50(r.latencies('resolved', resolveStarted))),
      'less',
      secs,
    ],
    [
      'every resolve visible, from the resolve',
      figure((r) => max(r.latencies('resolved', resolveStarted))),
      'less',
      secs,
    ],
    ['resolve p50, from hand-over', figure((r) => p50(r.latencies('resolved'))), 'less', secs],
    [
      'every resolve visible, from hand-over',
      figure((r) => max(r.latencies('resolved'))),
      'less',
      secs,
    ],
    ['groups shown in two messages or more', figure(duplicated), 'less', String],
    ['channel messages', figure((r) => r.messages.size), 'less', String],
    ['thread replies', figure((r) => r.threadReplies), 'info', String],
    ['Discord requests', figure((_r, calls) => calls), 'info', String],
    [
      'first delivery after the outage (— nothing waited)',
      figure((r) =>
        r.firstAfterOutage === null || !waitingAfterOutage.get(r)
          ? NaN
          : (r.firstAfterOutage - outageEnds) / 1000,
      ),
      'less',
      secs,
    ],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`${''.padEnd(width)}  ${'ChatOps relay'.padEnd(18)}Alertmanager discord_configs`);
  const gaps: string[] = [];
  for (const [name, [x, y], better, format] of rows) {
    let note = '';
    if (better !== 'info' && !Number.isNaN(x) && !Number.isNaN(y)) {
      // Compared as printed (a tenth of a second): closer than that is even.
      const [p, q] = [Math.round(x * 10), Math.round(y * 10)];
      const ahead = better === 'more' ? p > q : p < q;
      note = ahead ? '' : p === q ? '  (even)' : '  (GAP: Alertmanager ahead)';
      if (!ahead && p !== q) gaps.push(name);
    }
    console.log(`${name.padEnd(width)}  ${format(x).padEnd(18)}${format(y)}${note}`);
  }
  console.log(`429s answered by the simulator: ${sim.rateLimits.limited}`);
  console.log(
    gaps.length
      ? `Alertmanager's receiver ahead on: ${gaps.join('; ')}`
      : 'ours ahead or even on every figure',
  );

  await api.stop();
  await alertmanager.stop();
  await sim.stop();
  ourProxy.server.close();
  nativeProxy.server.close();
  const [groupsShown] = figure((r) => r.visibleAt.firing.size);
  const [ourAlerts] = figure(alertsShown);
  const [ourDuplicates] = figure(duplicated);
  const [resolvesShown] = figure((r) => r.visibleAt.resolved.size);
  const missed: string[] = [];
  if (groupsShown !== GROUPS) missed.push(`${GROUPS - groupsShown} groups not shown`);
  if (ourAlerts !== total) missed.push(`${total - ourAlerts} alerts not shown`);
  if (ourDuplicates > 0) missed.push(`${ourDuplicates} groups shown twice`);
  if (resolvesShown !== GROUPS) missed.push(`${GROUPS - resolvesShown} resolves not shown`);
  return verdict(missed);
}

run(main);
