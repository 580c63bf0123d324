import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ConversationEvent, isFailure, parseCommandLine, renderEvent } from '@chatops/discord-sim';
import { readState, SandboxState } from './state';

const USAGE =
  'usage: npm run chat -- "/command name:value …" [--as user1] [--roles deployer,approver] [--timeout 60]';
/** After the bot has answered, this much silence means the command has settled. */
const QUIET_MS = 1000;

interface ChatOptions {
  line: string;
  user: string;
  roles: string[];
  timeoutMs: number;
}

/**
 * `npm run chat -- "/ping"`: sends one slash command as a simulated member (starting a sandbox
 * when none runs), prints the conversation until it settles, and exits 0 on success, 1 when the
 * interaction failed or the bot answered with an error, 2 for a command the bot does not have.
 */
async function main(): Promise<number> {
  const root = process.cwd();
  let options: ChatOptions;
  try {
    options = parseArgs(process.argv.slice(2));
    parseCommandLine(options.line);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }

  let started: { stop: () => void } | null = null;
  let state = await runningSandbox(root);
  if (!state) {
    process.stderr.write(
      '[chat] no sandbox running: starting one (logs in tmp/sandbox/chat-sandbox.log)…\n',
    );
    started = startSandbox(root);
    state = await waitForSandbox(root, 60_000);
    if (!state) {
      started.stop();
      process.stderr.write('[chat] the sandbox did not start; see tmp/sandbox/chat-sandbox.log\n');
      return 1;
    }
  }
  try {
    return await converse(state.simUrl, options);
  } finally {
    started?.stop();
  }
}

async function converse(simUrl: string, options: ChatOptions): Promise<number> {
  const { command, options: values } = parseCommandLine(options.line);
  const created = await fetch(`${simUrl}/_sim/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: options.user, roles: options.roles, command, options: values }),
  });
  const body = (await created.json()) as { id?: string; message?: string };
  if (!created.ok || !body.id) {
    process.stderr.write(`✖ ${body.message ?? `the simulator answered ${created.status}`}\n`);
    return 2;
  }
  process.stdout.write(
    `${options.user}${options.roles.length ? ` (${options.roles.join(', ')})` : ''} › ${options.line.trim()}\n`,
  );

  const deadline = Date.now() + options.timeoutMs;
  const seen: ConversationEvent[] = [];
  let answeredAt: number | null = null;
  while (Date.now() < deadline) {
    const waitMs = answeredAt === null ? Math.min(5000, deadline - Date.now()) : QUIET_MS;
    const res = await fetch(
      `${simUrl}/_sim/interactions/${body.id}/events?after=${seen.length}&waitMs=${waitMs}`,
    );
    const { events } = (await res.json()) as { events: ConversationEvent[] };
    for (const event of events) {
      seen.push(event);
      process.stdout.write(`${renderEvent(event)}\n`);
    }
    if (seen.some((e) => e.type === 'no-response')) return 1;
    if (events.length === 0 && answeredAt !== null) break;
    if (answeredAt === null && seen.some((e) => e.type !== 'deferred')) answeredAt = Date.now();
  }
  if (answeredAt === null) {
    process.stderr.write(`✖ no answer within ${options.timeoutMs / 1000} s\n`);
    return 1;
  }
  return seen.some(isFailure) ? 1 : 0;
}

function parseArgs(argv: string[]): ChatOptions {
  const options: ChatOptions = { line: '', user: 'user1', roles: [], timeoutMs: 60_000 };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--as') options.user = value();
    else if (arg === '--roles')
      options.roles = value()
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
    else if (arg === '--timeout') options.timeoutMs = Number(value()) * 1000;
    else words.push(arg);
  }
  options.line = words.join(' ');
  if (!options.line) throw new Error('no command given');
  return options;
}

type SimulatedSandbox = SandboxState & { simUrl: string };

async function runningSandbox(root: string): Promise<SimulatedSandbox | null> {
  const state = readState(root);
  if (!state?.simUrl) return null;
  try {
    const res = await fetch(`${state.simUrl}/_sim/state`);
    const body = (await res.json()) as { botConnected?: boolean };
    return res.ok && body.botConnected ? { ...state, simUrl: state.simUrl } : null;
  } catch {
    return null;
  }
}

function startSandbox(root: string): { stop: () => void } {
  mkdirSync(join(root, 'tmp', 'sandbox'), { recursive: true });
  const log = openSync(join(root, 'tmp', 'sandbox', 'chat-sandbox.log'), 'a');
  const child = spawn(
    process.execPath,
    [join(root, 'dist/tools/sandbox/main.js'), '--no-console'],
    {
      cwd: root,
      env: { ...process.env, DISCORD_TOKEN: '' },
      stdio: ['ignore', log, log],
    },
  );
  return { stop: () => child.kill('SIGTERM') };
}

async function waitForSandbox(root: string, timeoutMs: number): Promise<SimulatedSandbox | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = await runningSandbox(root);
    if (state) return state;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chat failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
