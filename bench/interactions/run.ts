// Interaction benchmark: concurrent slash commands through the Discord simulator to the real
// bot (dist/apps/bot) and API (dist/apps/api).
// Run: npm run bench:interactions   (env: BENCH_RATE=200, BENCH_SECONDS=30, BENCH_WARMUP_SECONDS=5)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiscordSimulator, isFailure, SimInteraction } from '@chatops/discord-sim';
import { freePort } from '@chatops/testing';
import { BOT_NODE_OPTIONS } from '../../tools/sandbox/src/runtime';
import { percentile, run, verdict, waitFor } from '../shared';

const TARGETS = { rate: 200, p99Ms: 50, rssMb: 120 };
const rate = Number(process.env['BENCH_RATE'] ?? TARGETS.rate);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 30);
const warmupSeconds = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 5);
const root = process.cwd();

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Fires `rate` commands a second for `durationS`, spread evenly, and returns the interactions. */
async function drive(
  sim: DiscordSimulator,
  perSecond: number,
  durationS: number,
): Promise<SimInteraction[]> {
  const total = perSecond * durationS;
  const started = performance.now();
  const sent: SimInteraction[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sent.push(
      sim.invoke({ user: `user${i % 50}`, roles: ['developer'], command: i % 2 ? 'ping' : 'help' }),
    );
  }
  return sent;
}

async function main(): Promise<number> {
  const token = `bench.${'t'.repeat(64)}`;
  const serviceToken = 's'.repeat(48);
  const sim = await new DiscordSimulator({ botToken: token, rateLimits: [] }).start();
  const [apiPort, botPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'bench-interactions-'));
  const env = {
    PATH: process.env['PATH'],
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    API_SERVICE_TOKEN: serviceToken,
    CATALOG_PATH: join(root, 'chatops.config.yaml'),
    DISCORD_TOKEN: token,
    DISCORD_APPLICATION_ID: sim.applicationId,
    DISCORD_GUILD_ID: sim.guildId,
    DISCORD_API_URL: sim.restUrl,
  };
  const api = spawn(process.execPath, [join(root, 'dist/apps/api/main.js')], {
    env: { ...env, PORT: String(apiPort), DATABASE_URL: `sqlite:${join(dir, 'chatops.sqlite')}` },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const bot = spawn(process.execPath, [join(root, 'dist/apps/bot/main.js')], {
    env: {
      ...env,
      PORT: String(botPort),
      API_URL: `http://127.0.0.1:${apiPort}`,
      NODE_OPTIONS: BOT_NODE_OPTIONS,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    // Asynchronous: the simulator answering it runs on this process's event loop.
    const registration = spawn(
      process.execPath,
      [join(root, 'dist/apps/bot/register-commands.js')],
      {
        env,
        stdio: 'inherit',
      },
    );
    const [code] = (await once(registration, 'exit')) as [number | null];
    if (code !== 0) throw new Error('command registration failed');
    await waitFor(`http://127.0.0.1:${apiPort}/health/ready`);
    await waitFor(`http://127.0.0.1:${botPort}/health`);

    console.log(`# Interaction benchmark (node ${process.version}, ${cpus().length} cores)`);
    await drive(sim, Math.min(rate, 100), warmupSeconds);
    await new Promise((r) => setTimeout(r, 2000));

    const wallStart = performance.now();
    const sent = await drive(sim, rate, seconds);
    const sendSeconds = (performance.now() - wallStart) / 1000;
    await new Promise((r) => setTimeout(r, 4000)); // let the last ones answer or time out

    const first = sent.map((i) => i.events[0]);
    const latencies = first
      .filter((e): e is NonNullable<typeof e> => e !== undefined && e.type !== 'no-response')
      .map((e) => e.at)
      .sort((a, b) => a - b);
    const unanswered = first.filter((e) => !e).length;
    const timedOut = first.filter((e) => e?.type === 'no-response').length;
    const errored = sent.filter((i) =>
      i.events.some((e) => e.type !== 'no-response' && isFailure(e)),
    ).length;
    const failed = unanswered + timedOut + errored;
    const achieved = sent.length / sendSeconds;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const metrics = await (await fetch(`http://127.0.0.1:${botPort}/metrics`)).text();
    const gauge = (name: string) =>
      Number(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+]+)$`, 'm').exec(metrics)?.[1] ?? NaN) /
      1048576;
    const rss = rssMb(bot.pid ?? 0, 'VmRSS');
    const peak = rssMb(bot.pid ?? 0, 'VmHWM');

    console.log(
      `${sent.length} slash commands (/help and /ping) over ${sendSeconds.toFixed(1)} s: ${achieved.toFixed(0)} interactions/s (target ${TARGETS.rate})`,
    );
    console.log(
      `first response (INTERACTION_CREATE sent → callback received): p50 ${p50} ms, p99 ${p99} ms, max ${latencies.at(-1)} ms (target p99 <= ${TARGETS.p99Ms} ms)`,
    );
    console.log(
      `failed: ${failed} (no answer ${unanswered}, "did not respond" ${timedOut}, error replies ${errored}; target 0)`,
    );
    console.log(
      `bot RSS after the run: ${rss.toFixed(1)} MB (peak ${peak.toFixed(1)} MB; target <= ${TARGETS.rssMb} MB)`,
    );
    console.log(
      `bot heap after the run: ${gauge('nodejs_heap_size_used_bytes').toFixed(1)} MB used of ${gauge('nodejs_heap_size_total_bytes').toFixed(1)} MB, external ${gauge('nodejs_external_memory_bytes').toFixed(1)} MB`,
    );

    const missed: string[] = [];
    if (achieved < TARGETS.rate * 0.98) missed.push('rate');
    if (!(p99 <= TARGETS.p99Ms)) missed.push('p99 first response');
    if (failed > 0) missed.push('failures');
    if (rss > TARGETS.rssMb) missed.push('bot RSS');
    return verdict(missed);
  } finally {
    bot.kill('SIGTERM');
    api.kill('SIGTERM');
    await sim.stop();
  }
}

run(main);
