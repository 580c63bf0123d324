#!/usr/bin/env node
// `npm start` runs the product; `npm run chat -- "/ping"` sends one command to it.
// Installs dependencies on first use, builds what changed (Nx cache), then runs the sandbox
// runner (dist/tools/sandbox/main.js): the API, the bot and, without DISCORD_TOKEN, the Discord
// simulator with an interactive console. Options: --no-build, --no-console, --reset (start the
// sandbox clean); ports and the rest in .env.example.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const chat = argv[0] === '--chat';
const args = chat ? argv.slice(1) : argv;
const quiet = chat ? 'ignore' : 'inherit';

// Node before anything else: the launcher itself uses process.loadEnvFile (20.12+), the apps 20.19+.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19))
  fail(
    `Node.js 20.19 or newer is needed (this is ${process.versions.node}): install it with your package manager or from nodejs.org`,
  );

if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));

// `npm ci`, as CI and the image builds install: exactly the lockfile, which it never rewrites. Again
// when the lockfile is newer than the installed tree (a pull that changed dependencies).
const installed = join(root, 'node_modules', '.package-lock.json');
if (
  !existsSync(installed) ||
  statSync(join(root, 'package-lock.json')).mtimeMs > statSync(installed).mtimeMs
) {
  // better-sqlite3 compiles from source when its prebuilt binary cannot be downloaded.
  const missing = ['python3', 'make', 'g++'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  );
  if (missing.length)
    note(
      `${missing.join(', ')} not found: the database driver (better-sqlite3) may need to compile; on Debian/Ubuntu: apt-get install python3 make g++`,
    );
  note('installing dependencies (npm ci: first run, or the lockfile changed)…');
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: ['ignore', quiet, 'inherit'],
  });
  if (install.error?.code === 'ENOENT')
    fail('npm is not installed: install Node.js 20.19+ with npm');
  if (install.status !== 0) fail('npm ci failed (see above)');
}

// `npm run chat` against a sandbox that is already running talks to what that sandbox runs: a
// build would not change it, so none is made (a change is picked up by restarting the sandbox).
const talkingToRunningSandbox =
  chat && existsSync(join(root, 'dist/tools/sandbox/chat.js')) && (await sandboxRunning());

if (!args.includes('--no-build') && !talkingToRunningSandbox) {
  note('building (cached when unchanged)…');
  const build = spawnSync(
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', 'api', 'bot', 'sandbox', '--outputStyle=static'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (build.status !== 0)
    fail('build failed (run `npx nx run-many -t build -p api bot sandbox` to see why)');
}

const script = join(root, 'dist/tools/sandbox', chat ? 'chat.js' : 'main.js');
const child = spawn(process.execPath, [script, ...args.filter((a) => a !== '--no-build')], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

async function sandboxRunning() {
  try {
    const state = JSON.parse(readFileSync(join(root, 'tmp/sandbox/state.json'), 'utf8'));
    process.kill(state.pid, 0);
    if (!state.simUrl) return false;
    const res = await fetch(`${state.simUrl}/_sim/state`, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.json()).botConnected === true;
  } catch {
    return false;
  }
}

function note(text) {
  process.stderr.write(`[chatops] ${text}\n`);
}

function fail(text) {
  note(text);
  process.exit(1);
}
