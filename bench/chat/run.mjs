// `npm run chat -- "/help"` end to end against a running sandbox with nothing changed: what a
// person waits for, from typing the command to the shell prompt coming back (npm, the launcher,
// the interaction through the simulator, the real bot and API, and settling).
//   npm run bench:chat               (10 runs; uses the running sandbox or starts one)
//   npm run bench:chat -- --runs 30
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const TARGET_SECONDS = 1.5;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 10;
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 200) {
  process.stderr.write('--runs takes a whole number from 1 to 200\n');
  process.exit(2);
}

async function running() {
  try {
    const state = JSON.parse(readFileSync(join(ROOT, 'tmp/sandbox/state.json'), 'utf8'));
    process.kill(state.pid, 0);
    const res = await fetch(`${state.simUrl}/_sim/state`, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.json()).botConnected === true;
  } catch {
    return false;
  }
}

const freePort = () =>
  new Promise((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });

function build() {
  const nx = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'api', 'bot', 'sandbox'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (nx.status !== 0) process.exit(1);
}

let sandbox = null;
if (!(await running())) {
  build();
  const env = {
    ...process.env,
    DISCORD_TOKEN: '',
    SANDBOX_DATA_DIR: join(ROOT, 'tmp', `bench-chat-${process.pid}`),
  };
  for (const name of ['API_PORT', 'BOT_PORT', 'SIM_PORT', 'GITHUB_SIM_PORT', 'AWS_SIM_PORT'])
    env[name] = String(await freePort());
  sandbox = spawn(process.execPath, [join(ROOT, 'dist/tools/sandbox/main.js'), '--no-console'], {
    cwd: ROOT,
    env,
    stdio: 'ignore',
  });
  sandbox.dataDir = env.SANDBOX_DATA_DIR;
  const deadline = Date.now() + 60_000;
  while (!(await running())) {
    if (Date.now() > deadline || sandbox.exitCode !== null) {
      process.stderr.write('the sandbox did not start (run `npm start` to see why)\n');
      sandbox.kill('SIGTERM');
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
} else if (!existsSync(join(ROOT, 'dist/tools/sandbox/chat.js'))) build();

const seconds = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const chat = spawnSync('npm', ['run', '-s', 'chat', '--', '/help'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    if (chat.status !== 0 || !chat.stdout.includes('ChatOps commands')) {
      process.stderr.write(`npm run chat failed (${chat.status}):\n${chat.stdout}${chat.stderr}\n`);
      process.exit(1);
    }
  }
} finally {
  if (sandbox) {
    sandbox.kill('SIGTERM');
    await new Promise((r) => sandbox.once('exit', r));
    rmSync(sandbox.dataDir, { recursive: true, force: true });
  }
}

seconds.sort((a, b) => a - b);
const at = (q) => seconds[Math.min(seconds.length - 1, Math.ceil(q * seconds.length) - 1)];
const show = (s) => `${s.toFixed(2)} s`;
process.stdout.write(
  [
    `npm run chat -- "/help" against a running sandbox, ${RUNS} runs on ${process.platform} (${(await import('node:os')).cpus().length} cores)`,
    `  median ${show(at(0.5))} · p90 ${show(at(0.9))} · max ${show(seconds.at(-1))} · min ${show(seconds[0])}`,
    `  target ≤ ${TARGET_SECONDS.toFixed(1)} s end to end: ${at(0.9) <= TARGET_SECONDS ? 'met' : 'NOT met'} (p90)`,
  ].join('\n') + '\n',
);
