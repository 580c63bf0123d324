// Deploy benchmark: /deploy through the Discord simulator to the real bot and API
// (dist/apps/*), which dispatch to the GitHub stand-in and track the runs.
// Run: npm run bench:deploys
//   (env: BENCH_DEPLOYS=40, BENCH_DUPLICATE_REQUESTS=10, BENCH_COPIES=20, BENCH_POLLED_DEPLOYS=6)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DiscordSimulator, SimInteraction } from '@chatops/discord-sim';
import { GithubSimulator } from '@chatops/github-sim';
import { freePort } from '@chatops/testing';
import { BOT_NODE_OPTIONS } from '../../tools/sandbox/src/runtime';
import { percentile, run, verdict, waitFor } from '../shared';

const TARGETS = { dispatchP99Ms: 300, pollIntervalMs: 5000 };
const deploys = Number(process.env['BENCH_DEPLOYS'] ?? 40);
const polledDeploys = Number(process.env['BENCH_POLLED_DEPLOYS'] ?? 6);
const duplicateRequests = Number(process.env['BENCH_DUPLICATE_REQUESTS'] ?? 10);
const copies = Number(process.env['BENCH_COPIES'] ?? 20);
const root = process.cwd();
const SERVICES = Array.from({ length: 8 }, (_, i) => `svc${i + 1}`);
const TRACKING = /^GET \/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)(\/jobs)?$/;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends /deploy and resolves with the time to the "🚀 Dispatched … as run" answer. */
async function deploy(sim: DiscordSimulator, service: string, user: string): Promise<number> {
  const interaction: SimInteraction = sim.invoke({
    user,
    roles: ['deployer'],
    command: 'deploy',
    options: { service, env: 'staging', ref: 'main' },
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const answer = interaction.events.find((e) => e.type === 'reply' || e.type === 'edit');
    if (answer) {
      if (!answer.message?.content.startsWith('🚀 Dispatched'))
        throw new Error(`/deploy ${service} answered: ${answer.message?.content}`);
      return answer.at;
    }
    await interaction.waitForEvents(interaction.events.length, deadline - Date.now());
  }
  throw new Error(`/deploy ${service} got no answer`);
}

async function main(): Promise<number> {
  const token = `bench.${'t'.repeat(64)}`;
  const serviceToken = 's'.repeat(48);
  const githubToken = `ghs_bench${'g'.repeat(32)}`;
  const webhookSecret = 'w'.repeat(40);
  const dir = mkdtempSync(join(tmpdir(), 'bench-deploys-'));
  const catalogPath = join(dir, 'catalog.yaml');
  writeFileSync(
    catalogPath,
    stringify({
      project: 'bench',
      github: { owner: 'acme', repo: 'chatops' },
      services: SERVICES.map((name) => ({
        name,
        workflow: 'deploy.yml',
        image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${name}`,
        healthUrl: `https://${name}.{environment}.example.com/health`,
      })),
      environments: [{ name: 'staging' }],
      roles: { deployer: { '*': ['view', 'deploy', 'cancel'] } },
    }),
  );
  const sim = await new DiscordSimulator({ botToken: token, rateLimits: [] }).start();
  const [apiPort, botPort] = [await freePort(), await freePort()];
  const github = await new GithubSimulator({
    owner: 'acme',
    repo: 'chatops',
    token: githubToken,
    webhook: { url: `http://127.0.0.1:${apiPort}/v1/github/webhook`, secret: webhookSecret },
    timing: { queuedMs: 200, stepMs: 100 },
  }).start();
  const env = {
    PATH: process.env['PATH'],
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    API_SERVICE_TOKEN: serviceToken,
    CATALOG_PATH: catalogPath,
    DISCORD_TOKEN: token,
    DISCORD_APPLICATION_ID: sim.applicationId,
    DISCORD_GUILD_ID: sim.guildId,
    DISCORD_API_URL: sim.restUrl,
  };
  const api = spawn(process.execPath, [join(root, 'dist/apps/api/main.js')], {
    env: {
      ...env,
      PORT: String(apiPort),
      DATABASE_URL: `sqlite:${join(dir, 'chatops.sqlite')}`,
      GITHUB_API_URL: github.baseUrl,
      GITHUB_TOKEN: githubToken,
      GITHUB_WEBHOOK_SECRET: webhookSecret,
      GITHUB_POLL_INTERVAL_MS: String(TARGETS.pollIntervalMs),
      GITHUB_WEBHOOK_GRACE_MS: '2000',
    },
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
  const deployments = async () => {
    const res = await fetch(`http://127.0.0.1:${apiPort}/v1/deployments?limit=100`, {
      headers: { authorization: `Bearer ${serviceToken}` },
    });
    return ((await res.json()) as { deployments: { runId: string; status: string }[] }).deployments;
  };
  const allEnded = async (count: number) => {
    for (let i = 0; i < 600; i++) {
      const list = await deployments();
      if (list.length >= count && list.every((d) => TERMINAL.has(d.status))) return list;
      await sleep(250);
    }
    throw new Error('deployments did not end');
  };
  try {
    const registration = spawn(
      process.execPath,
      [join(root, 'dist/apps/bot/register-commands.js')],
      { env, stdio: 'inherit' },
    );
    const [code] = (await once(registration, 'exit')) as [number | null];
    if (code !== 0) throw new Error('command registration failed');
    await waitFor(`http://127.0.0.1:${apiPort}/health/ready`);
    await waitFor(`http://127.0.0.1:${botPort}/health`);
    console.log(`# Deploy benchmark (node ${process.version}, ${cpus().length} cores)`);

    // 1. Command → "dispatched" answer, webhooks on. GitHub asks for 1 s between mutating
    // requests and the API honours it, so deploys go out 1.1 s apart (rotating services).
    const warm = await deploy(sim, 'svc8', 'warmup');
    await sleep(1100);
    const started = Date.now();
    const latencies: number[] = [];
    for (let i = 0; i < deploys; i++) {
      latencies.push(await deploy(sim, SERVICES[i % 7] as string, `user${i % 10}`));
      await sleep(1100);
    }
    await allEnded(deploys + 1);
    latencies.sort((a, b) => a - b);
    const webhookTracking = github.countRequests(TRACKING, started);
    console.log(
      `${deploys} /deploy commands (after 1 warm-up at ${warm} ms): command → "dispatched" answer p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms (target p99 <= ${TARGETS.dispatchP99Ms} ms)`,
    );
    console.log(
      `tracking with webhooks: ${webhookTracking} GitHub requests for ${deploys} runs (target 0); ${github.deliveries.length} webhook deliveries`,
    );

    // 2. Duplicate storm: each request id sent as `copies` concurrent POSTs (a client retrying,
    // a double press, a load balancer replaying), then again while a /deploy goes through the
    // bot. Every request id must reach GitHub once; the /deploy must stay as fast as in 1.
    const storm = async (requestId: string, service: string) =>
      Promise.all(
        Array.from({ length: copies }, async () => {
          const sent = performance.now();
          const res = await fetch(`http://127.0.0.1:${apiPort}/v1/deployments`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${serviceToken}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({
              requestId,
              kind: 'deploy',
              service,
              environment: 'staging',
              ref: 'main',
              actor: { id: '900', name: 'storm' },
              roles: { ids: [], names: ['deployer'] },
            }),
          });
          const body = (await res.json()) as { outcome?: string };
          if (res.status !== 201) throw new Error(`a copy of ${requestId} answered ${res.status}`);
          return { ms: performance.now() - sent, outcome: body.outcome };
        }),
      );
    const copyLatencies: number[] = [];
    const underStorm: number[] = [];
    const outcomes = new Map<string, number>();
    for (let i = 0; i < duplicateRequests; i++) {
      const requestId = `storm-${i}`;
      const service = SERVICES[i % 4] as string;
      const first = await storm(requestId, service);
      await sleep(1100);
      const [late, latency] = await Promise.all([
        storm(requestId, service),
        deploy(sim, SERVICES[4 + (i % 4)] as string, `stormy${i}`),
      ]);
      underStorm.push(latency);
      for (const copy of [...first, ...late]) {
        copyLatencies.push(copy.ms);
        outcomes.set(String(copy.outcome), (outcomes.get(String(copy.outcome)) ?? 0) + 1);
      }
      await sleep(1100);
    }
    await allEnded(deploys + 1 + duplicateRequests * 2);
    const runsPerRequest = Array.from(
      { length: duplicateRequests },
      (_, i) => github.listRuns().filter((r) => r.display_title?.endsWith(`[storm-${i}]`)).length,
    );
    const perRequest = runsPerRequest.reduce((a, b) => a + b, 0) / duplicateRequests;
    copyLatencies.sort((a, b) => a - b);
    underStorm.sort((a, b) => a - b);
    console.log(
      `duplicate storm: ${duplicateRequests} request ids × ${copies * 2} copies (${copies} at once, ${copies} more 1.1 s later): dispatches per request id ${perRequest.toFixed(2)} (max ${Math.max(...runsPerRequest)}; target 1.00); outcomes ${[...outcomes].map(([o, n]) => `${o} ${n}`).join(', ')}`,
    );
    console.log(
      `  copies answered p50 ${percentile(copyLatencies, 50).toFixed(0)} ms, p99 ${percentile(copyLatencies, 99).toFixed(0)} ms; /deploy during the storms: p50 ${percentile(underStorm, 50)} ms, p99 ${percentile(underStorm, 99)} ms (target p99 <= ${TARGETS.dispatchP99Ms} ms)`,
    );

    // 3. Webhooks off: the API polls. Longer runs, several in flight at once.
    github.webhooksEnabled = false;
    github.timing = { queuedMs: 2000, stepMs: 2500 };
    const pollStart = Date.now();
    const polled = await Promise.all(
      Array.from({ length: polledDeploys }, (_, i) =>
        sleep(i * 1100).then(() =>
          deploy(sim, SERVICES[i % SERVICES.length] as string, `poller${i}`),
        ),
      ),
    );
    const ended = await allEnded(deploys + 1 + duplicateRequests * 2 + polledDeploys);
    const runIds = new Set(ended.slice(0, polledDeploys).map((d) => d.runId));
    const byRun = new Map<string, number[]>();
    for (const request of github.requests) {
      const match = TRACKING.exec(request.route);
      if (!match || request.at < pollStart || !runIds.has(match[1] as string)) continue;
      byRun.set(match[1] as string, [...(byRun.get(match[1] as string) ?? []), request.at]);
    }
    // The budget: for any run, at most one request in any 5 s window.
    let minGapMs = Infinity;
    let maxInWindow = 0;
    for (const times of byRun.values()) {
      for (let i = 0; i < times.length; i++) {
        if (i > 0) minGapMs = Math.min(minGapMs, (times[i] as number) - (times[i - 1] as number));
        const inWindow = times.filter(
          (t) => t >= (times[i] as number) && t < (times[i] as number) + TARGETS.pollIntervalMs,
        ).length;
        maxInWindow = Math.max(maxInWindow, inWindow);
      }
    }
    const total = [...byRun.values()].reduce((n, t) => n + t.length, 0);
    const lifetimes = ended
      .slice(0, polledDeploys)
      .map((d) => github.run(d.runId))
      .map((r) => (Date.parse(r?.updated_at ?? '') - Date.parse(r?.created_at ?? '')) / 1000);
    console.log(
      `tracking by polling: ${polledDeploys} runs in flight together (${polled.length} dispatched, each ${Math.min(...lifetimes)}–${Math.max(...lifetimes)} s long), ${total} GitHub requests, ${(total / polledDeploys).toFixed(1)} per run`,
    );
    console.log(
      `  most requests for one run in any 5 s window: ${maxInWindow} (target <= 1); shortest gap between two: ${(minGapMs / 1000).toFixed(2)} s`,
    );
    const finished = ended.slice(0, polledDeploys).map((d) => d.status);
    console.log(`polled runs ended: ${finished.join(', ')}`);

    const missed: string[] = [];
    if (!(percentile(latencies, 99) <= TARGETS.dispatchP99Ms)) missed.push('dispatch p99');
    if (webhookTracking > 0) missed.push('requests while webhooks arrive');
    if (runsPerRequest.some((n) => n !== 1)) missed.push('dispatches per request id');
    if (!(percentile(underStorm, 99) <= TARGETS.dispatchP99Ms))
      missed.push('dispatch p99 in a storm');
    if (maxInWindow > 1) missed.push('polling budget');
    if (!finished.every((s) => s === 'succeeded')) missed.push('polled runs did not all succeed');
    return verdict(missed);
  } finally {
    bot.kill('SIGTERM');
    api.kill('SIGTERM');
    await github.stop();
    await sim.stop();
  }
}

run(main);
