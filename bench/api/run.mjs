#!/usr/bin/env node
// API benchmark: cold start to ready, and /health/live throughput.
// Run: npm run bench:api   (builds the api, then runs this; prints the figures and checks the targets)
// Options via environment: BENCH_STARTS (5), BENCH_SECONDS (10), BENCH_CONNECTIONS (50).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const main = join(root, 'dist/apps/api/main.js');
const starts = Number(process.env.BENCH_STARTS ?? 5);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const TARGETS = { coldStartMs: 1500, requestsPerSecond: 5000, p99Ms: 10 };

function freePort() {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Starts the API on a fresh SQLite file (migrations included) and times it to ready. */
async function startApi() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      API_SERVICE_TOKEN: 'bench-service-token-'.padEnd(48, 'b'),
      DATABASE_URL: `sqlite:${join(dir, 'chatops.sqlite')}`,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const readyMs = performance.now() - started;
  const stop = () =>
    new Promise((done) => {
      child.once('exit', () => {
        rmSync(dir, { recursive: true, force: true });
        done();
      });
      child.kill('SIGTERM');
    });
  return { url, readyMs, stop };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(
  `# API benchmark (node ${process.version}, ${(await import('node:os')).cpus().length} cores)`,
);

const coldStarts = [];
for (let i = 0; i < starts; i++) {
  const api = await startApi();
  coldStarts.push(api.readyMs);
  await api.stop();
}
console.log(
  `cold start to /health/ready: median ${median(coldStarts).toFixed(0)} ms ` +
    `(min ${Math.min(...coldStarts).toFixed(0)}, max ${Math.max(...coldStarts).toFixed(0)}, n=${starts}; target <= ${TARGETS.coldStartMs} ms)`,
);

const api = await startApi();
await autocannon({ url: `${api.url}/health/live`, connections, duration: 2 }); // warm-up (JIT, pools)
const result = await autocannon({ url: `${api.url}/health/live`, connections, duration: seconds });
await api.stop();

const rps = result.requests.average;
const p99 = result.latency.p99;
console.log(
  `GET /health/live, ${connections} connections, ${seconds} s: ${rps.toFixed(0)} req/s average ` +
    `(target >= ${TARGETS.requestsPerSecond}), latency p50 ${result.latency.p50} ms, p99 ${p99} ms (target <= ${TARGETS.p99Ms} ms), ` +
    `max ${result.latency.max} ms, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
);

const failures = [];
if (median(coldStarts) > TARGETS.coldStartMs) failures.push('cold start');
if (rps < TARGETS.requestsPerSecond) failures.push('throughput');
if (p99 > TARGETS.p99Ms) failures.push('p99 latency');
if (result.non2xx + result.errors + result.timeouts > 0) failures.push('errors under load');
console.log(failures.length ? `MISSED: ${failures.join(', ')}` : 'all targets met');
process.exitCode = failures.length ? 1 : 0;
