import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConversationEvent,
  isFailure,
  parseCommandLine,
  renderEvent,
  renderMessage,
  StoredMessage,
} from '@chatops/discord-sim';
import { readState, SandboxState } from './state';

const USAGE =
  'usage: npm run chat -- "/command name:value …" [--as user1] [--roles deployer,approver] [--timeout 60]\n' +
  '       npm run chat -- "/deploy service:api env:staging ref:?"          (the bot\'s suggestions for ref)\n' +
  '       npm run chat -- --press Approve --as user2 --roles approver     (newest message offering it)\n' +
  '       npm run chat -- --press Approve --message 12                     (message #12, as printed)\n' +
  '       npm run chat -- "/rollback service:api env:staging" --press "Roll back"   (answer its buttons)\n' +
  '       npm run chat -- "/infra action:destroy env:staging" --form confirmation:staging   (fill its form)';
/**
 * After the bot has answered, this much silence means the command has settled: the API posts
 * what a command starts within milliseconds of the answer (the answer says so when it does, and
 * then the first channel message is waited for however long it takes, 429s included).
 */
const QUIET_MS = 400;
/** How the bot's answer says that the work goes on in a channel message. */
const ANNOUNCES_CHANNEL_WORK = /posted in this channel/;

interface ChatOptions {
  line: string;
  /**
   * Press this button: with a command, on the bot's answer to it (a confirmation); alone, on the
   * newest channel message offering it.
   */
  press?: string;
  /** With `press` alone: the number of the message to press it on (as the console prints them). */
  message?: number;
  /** Values for the form the command opens, `name:value …`. */
  form?: Record<string, string>;
  user: string;
  roles: string[];
  timeoutMs: number;
}

/**
 * `npm run chat -- "/ping"`: sends one slash command as a simulated member (starting a sandbox
 * when none runs), prints the conversation until it settles, and exits 0 on success, 1 when the
 * interaction failed, the bot answered with an error or the work it tracks in the channel ended
 * badly, 2 for a command the bot does not have. Channel messages the command started (a deploy's
 * progress) are followed until they stop offering Cancel.
 */
async function main(): Promise<number> {
  const root = process.cwd();
  let options: ChatOptions;
  try {
    options = parseArgs(process.argv.slice(2));
    if (!options.press) parseCommandLine(options.line);
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

interface FeedEntry {
  seq: number;
  type: 'message' | 'edit';
  message: StoredMessage;
  /** `#ops` or `thread "…"`. */
  where: string;
  number: number;
  /** Whom the post notified ("🔔 pinged @approver"), null for none and for edits. */
  pings?: string | null;
}

interface NumberedMessage {
  number: number;
  where: string;
  message: StoredMessage;
}

function offers(message: StoredMessage | undefined, label: string): boolean {
  return (
    (message?.components as { components?: { label?: string }[] }[] | undefined)?.some((row) =>
      row.components?.some((c) => c.label?.toLowerCase() === label.toLowerCase()),
    ) ?? false
  );
}

/** A message still offering Cancel is work in progress (a deploy being tracked): keep watching. */
function inProgress(message: StoredMessage): boolean {
  return (message.components as { components?: { label?: string }[] }[]).some((row) =>
    row.components?.some((c) => c.label === 'Cancel'),
  );
}

/** How a tracked message ended, read as the user reads it. */
function endedBadly(message: StoredMessage): boolean {
  return /^(❌|⛔|⚠️|🛑|⌛|🚫)/u.test(message.content);
}

async function getJson<T>(
  url: string,
  init?: RequestInit,
): Promise<{ ok: boolean; status: number; body: T }> {
  const res = await fetch(url, init);
  return { ok: res.ok, status: res.status, body: (await res.json()) as T };
}

async function converse(simUrl: string, options: ChatOptions): Promise<number> {
  const feed = await getJson<{ feed: FeedEntry[] }>(`${simUrl}/_sim/channel/feed?after=0&waitMs=0`);
  let feedSeen = feed.body.feed.length;
  const who = { user: options.user, roles: options.roles };
  let created: { ok: boolean; status: number; body: { id?: string; message?: string } };
  // A button to press on the command's own answer once it offers it.
  let pressOnAnswer = options.line && options.press ? options.press : null;
  let focused: string | undefined;
  if (options.press && !options.line) {
    // The numbered message, or the newest one this member sees offering that button (threads
    // and earlier sandbox runs included).
    const { messages } = (
      await getJson<{ messages: NumberedMessage[] }>(
        `${simUrl}/_sim/messages?viewer=${encodeURIComponent(options.user)}`,
      )
    ).body;
    const target =
      options.message !== undefined
        ? messages.find((m) => m.number === options.message)
        : [...messages].reverse().find((m) => offers(m.message, options.press ?? ''));
    if (!target) {
      process.stderr.write(
        options.message !== undefined
          ? `✖ there is no message #${options.message} that ${options.user} can see\n`
          : `✖ no message offers [${options.press}]\n`,
      );
      return 2;
    }
    if (!offers(target.message, options.press)) {
      process.stderr.write(`✖ message #${target.number} offers no [${options.press}]\n`);
      return 2;
    }
    created = await getJson(`${simUrl}/_sim/messages/${target.message.id}/press`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...who, label: options.press }),
    });
  } else {
    const parsed = parseCommandLine(options.line);
    focused = parsed.focused;
    created = await getJson(`${simUrl}/_sim/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...who,
        command: parsed.command,
        options: parsed.options,
        ...(focused ? { focused } : {}),
      }),
    });
  }
  if (!created.ok || !created.body.id) {
    process.stderr.write(
      `✖ ${created.body.message ?? `the simulator answered ${created.status}`}\n`,
    );
    return 2;
  }
  let id = created.body.id;
  process.stdout.write(
    `${options.user}${options.roles.length ? ` (${options.roles.join(', ')})` : ''} › ${options.line.trim() || `[${options.press}]`}\n`,
  );

  const deadline = Date.now() + options.timeoutMs;
  const seen: (ConversationEvent & { number?: number })[] = [];
  const followed = new Map<string, StoredMessage>();
  let answeredAt: number | null = null;
  let quietSince = Date.now();
  let formSubmitted = false;
  while (Date.now() < deadline) {
    const [events, entries] = await Promise.all([
      getJson<{ events: (ConversationEvent & { number?: number })[] }>(
        `${simUrl}/_sim/interactions/${id}/events?after=${seen.length}&waitMs=250`,
      ).then((r) => r.body.events),
      getJson<{ feed: FeedEntry[] }>(
        `${simUrl}/_sim/channel/feed?after=${feedSeen}&waitMs=250`,
      ).then((r) => r.body.feed),
    ]);
    for (const event of events) {
      seen.push(event);
      process.stdout.write(
        `${event.number ? `#${event.number} ` : ''}${renderEvent(event, 'ChatOps', '--form')}\n`,
      );
    }
    // Asking for suggestions ends with them.
    if (focused && seen.some((e) => e.type === 'autocomplete')) return 0;
    const modal = events.find((e) => e.type === 'modal');
    if (modal && options.form && !formSubmitted) {
      formSubmitted = true;
      const submitted = await getJson<{ id?: string; message?: string }>(
        `${simUrl}/_sim/interactions/${id}/modal`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...who, values: options.form }),
        },
      );
      if (!submitted.ok || !submitted.body.id) {
        process.stderr.write(`✖ ${submitted.body.message ?? 'could not submit the form'}\n`);
        return 2;
      }
      process.stdout.write(
        `${options.user} › (form) ${Object.entries(options.form)
          .map(([k, v]) => `${k}:${v}`)
          .join(' ')}\n`,
      );
      id = submitted.body.id;
      seen.length = 0;
      answeredAt = null;
      continue;
    }
    const offering = pressOnAnswer
      ? events.find((e) => offers(e.message, pressOnAnswer ?? ''))
      : null;
    if (pressOnAnswer && offering?.message) {
      const pressed = await getJson<{ id?: string; message?: string }>(
        `${simUrl}/_sim/messages/${offering.message.id}/press`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...who, label: pressOnAnswer }),
        },
      );
      if (!pressed.ok || !pressed.body.id) {
        process.stderr.write(
          `✖ ${pressed.body.message ?? `could not press [${pressOnAnswer}]`}\n`,
        );
        return 2;
      }
      process.stdout.write(`${options.user} › [${pressOnAnswer}]\n`);
      // From here on the conversation is the press's.
      id = pressed.body.id;
      seen.length = 0;
      answeredAt = null;
      pressOnAnswer = null;
      continue;
    }
    for (const entry of entries) {
      feedSeen = Math.max(feedSeen, entry.seq);
      followed.set(entry.message.id, entry.message);
      const text = renderMessage(entry.message as never)
        .split('\n')
        .join('\n    ');
      process.stdout.write(
        `#${entry.number} ChatOps in ${entry.where}${entry.type === 'edit' ? ' (updated)' : ''} › ${text}\n${entry.pings ? `    ${entry.pings}\n` : ''}`,
      );
    }
    if (seen.some((e) => e.type === 'no-response')) return 1;
    if (events.length || entries.length) quietSince = Date.now();
    if (answeredAt === null && seen.some((e) => e.type !== 'deferred')) answeredAt = Date.now();
    // A refused command started nothing: other members' work in the channel is not ours to wait for.
    const refused = seen.some(isFailure);
    const announced = seen.some((e) => ANNOUNCES_CHANNEL_WORK.test(e.message?.content ?? ''));
    const settled =
      answeredAt !== null &&
      Date.now() - quietSince >= QUIET_MS &&
      (refused || ![...followed.values()].some(inProgress)) &&
      (refused || !announced || followed.size > 0);
    if (settled) break;
  }
  if (answeredAt === null) {
    process.stderr.write(`✖ no answer within ${options.timeoutMs / 1000} s\n`);
    return 1;
  }
  if (pressOnAnswer && !seen.some(isFailure)) {
    process.stderr.write(`✖ the answer offered no [${pressOnAnswer}] button\n`);
    return 2;
  }
  if (!seen.some(isFailure) && [...followed.values()].some(inProgress)) {
    process.stderr.write(`✖ still in progress after ${options.timeoutMs / 1000} s\n`);
    return 1;
  }
  return seen.some(isFailure) || [...followed.values()].some(endedBadly) ? 1 : 0;
}

function parseArgs(argv: string[]): ChatOptions {
  // The same member the console starts as: user1, a developer (may deploy to staging).
  const options: ChatOptions = {
    line: '',
    user: 'user1',
    roles: ['developer'],
    timeoutMs: 120_000,
  };
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
    else if (arg === '--press') options.press = value();
    else if (arg === '--message') {
      const number = Number(value().replace(/^#/, ''));
      if (!Number.isInteger(number) || number < 1)
        throw new Error('--message takes a message number (as printed, e.g. 12 or #12)');
      options.message = number;
    } else if (arg === '--form') options.form = parseCommandLine(`/form ${value()}`).options;
    else words.push(arg);
  }
  options.line = words.join(' ');
  if (!options.line && !options.press) throw new Error('no command given');
  if (options.message !== undefined && (options.line || !options.press))
    throw new Error('--message goes with --press alone (no command)');
  if (options.form && !options.line) throw new Error('--form goes with the command that opens it');
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
