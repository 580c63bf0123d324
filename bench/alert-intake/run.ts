// Alert intake throughput: POST /v1/alerts/alertmanager on SQLite, every request a distinct
// notification (a new outbox row, committed before the 202), while the delivery worker runs.
// Run: npm run bench:alert-intake   (BENCH_SECONDS=10, BENCH_CONNECTIONS=10)
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { DiscordSimulator } from '@chatops/discord-sim';
import {
  alertingApiEnv,
  alertInstance,
  alertNotification,
  freePort,
  startNode,
} from '@chatops/testing';
import { run, verdict, waitFor } from '../shared';

const ROOT = process.cwd();
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);
const TARGETS = { perSecond: 1000, p99Ms: 50 };

async function main(): Promise<number> {
  const botToken = `bench.${randomBytes(40).toString('base64url')}`;
  const sim = await new DiscordSimulator({ botToken }).start();
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'bench-alert-intake-'));
  const api = startNode(
    join(ROOT, 'dist/apps/api/main.js'),
    alertingApiEnv({
      root: ROOT,
      port,
      dataDir: dir,
      discord: { botToken, restUrl: sim.restUrl, channelId: sim.channelId },
      alertToken: token,
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/health/ready`);
  let sequence = 0;
  // A realistic notification: a group of three alerts, about 2 KB.
  const body = () => {
    const n = sequence++;
    return JSON.stringify(
      alertNotification(
        [0, 1, 2].map((i) => alertInstance(`fp${n}-${i}`, { labels: { group: `g${n}` } })),
        { groupKey: `{}:{group="g${n}"}` },
      ),
    );
  };
  const options = {
    url: `${url}/v1/alerts/alertmanager`,
    connections: CONNECTIONS,
    method: 'POST' as const,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }) }],
  };
  await autocannon({ ...options, duration: 2 }); // warm-up
  const result = await autocannon({ ...options, duration: SECONDS });
  await api.stop();
  await sim.stop();
  const perSecond = result.requests.average;
  console.log(
    `# Alert intake on SQLite (node ${process.version}): ${CONNECTIONS} connections, ${SECONDS} s, ` +
      `every notification distinct (3 alerts, ${body().length} bytes)`,
  );
  console.log(
    `${perSecond.toFixed(0)} notifications/s (target >= ${TARGETS.perSecond}), latency p50 ${result.latency.p50} ms, ` +
      `p99 ${result.latency.p99} ms (target <= ${TARGETS.p99Ms}), max ${result.latency.max} ms, ` +
      `${result.non2xx} non-2xx, ${result.errors} errors`,
  );
  const missed: string[] = [];
  if (perSecond < TARGETS.perSecond) missed.push('throughput');
  if (result.latency.p99 > TARGETS.p99Ms) missed.push('p99 latency');
  if (result.non2xx + result.errors > 0) missed.push('errors');
  return verdict(missed);
}

run(main);
