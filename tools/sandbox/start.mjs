#!/usr/bin/env node
// `npm start`: runs the product. With DISCORD_TOKEN (environment or .env) the bot connects to
// Discord; without it this is the local sandbox: API and bot on loopback, no credentials needed.
// Options: --no-build (use the existing dist/), API_PORT (3000), BOT_PORT (3001).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = new Set(process.argv.slice(2));
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);
const children = [];
let stopping = false;

if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));

const env = { ...process.env };
const sandbox = !env.DISCORD_TOKEN;
// One token for both apps; generated per run when none is configured (it never leaves this machine).
env.API_SERVICE_TOKEN ||= randomBytes(32).toString('hex');
const apiPort = Number(env.API_PORT ?? 3000);
const botPort = Number(env.BOT_PORT ?? 3001);
const host = env.HOST ?? '127.0.0.1';

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  say('installing dependencies (first run only)…');
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (install.status !== 0) fail('npm install failed');
}

if (!args.has('--no-build')) {
  say('building api and bot (cached when unchanged)…');
  const build = spawnSync(
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', 'api', 'bot', '--outputStyle=static'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (build.status !== 0)
    fail('build failed (run `npx nx run-many -t build -p api bot` to see why)');
}

function start(name, script, extraEnv) {
  const child = spawn(process.execPath, [join(root, script)], {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) prefixLines(stream, name);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${code ?? signal}); stopping the rest`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

async function waitFor(url, accept) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(url);
      if (accept(res.status)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!stopping) fail(`${url} did not come up`);
}

function stop(code) {
  stopping = true;
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  if (alive.length === 0) process.exit(code);
  let left = alive.length;
  for (const child of alive) {
    child.once('exit', () => --left === 0 && process.exit(code));
    child.kill('SIGTERM');
  }
  setTimeout(() => process.exit(code || 1), 15_000).unref();
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

start('api', 'dist/apps/api/main.js', { PORT: String(apiPort), HOST: host });
await waitFor(`http://${host}:${apiPort}/health/ready`, (s) => s === 200);
start('bot', 'dist/apps/bot/main.js', {
  PORT: String(botPort),
  HOST: host,
  API_URL: `http://${host}:${apiPort}`,
});
await waitFor(`http://${host}:${botPort}/health/live`, (s) => s === 200);

say('');
say(`API      http://${host}:${apiPort}   (GET /health/ready, /metrics)`);
say(`Bot      http://${host}:${botPort}   (GET /health, /metrics)`);
say(
  sandbox
    ? 'Sandbox: no Discord connection configured (DISCORD_TOKEN unset); set it in .env to connect to Discord.'
    : 'Connecting the bot to Discord with DISCORD_TOKEN.',
);
say('Ctrl-C stops everything.');
say('');

// ---- output ----

function say(text) {
  process.stdout.write(`\x1b[1m[chatops]\x1b[0m ${text}\n`);
}

function fail(text) {
  process.stderr.write(`[chatops] ${text}\n`);
  stop(1);
}

/** JSON log lines become one readable line each; anything else passes through. */
function prefixLines(stream, name) {
  let buffer = '';
  stream.on('data', (chunk) => {
    buffer += chunk.toString();
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      process.stdout.write(`[${name}] ${readable(line)}\n`);
    }
  });
}

function readable(line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  const fields = Object.entries(entry)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : value}`)
    .join(' ');
  return `${String(entry.level ?? '').padEnd(5)} ${entry.msg ?? ''}${fields ? `  ${fields}` : ''}`;
}
