import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { ApiClient } from '@chatops/api-client';
import { AwsSimulator } from '@chatops/aws-sim';
import { CommandDispatcher, createCommandRegistry } from '@chatops/bot-commands';
import { loadCatalog } from '@chatops/config';
import { GithubSimulator } from '@chatops/github-sim';
import { freePort, RunningProcess, startApiProcess } from '@chatops/testing';
import type { ChatInteraction } from '@chatops/bot-commands';

/**
 * Every option of every command, given a hostile value, through the bot's dispatcher and the
 * real API process: refused with a clear answer, audited, and nothing reaches GitHub or AWS.
 * The member holds every permission, so nothing but the value itself is in the way.
 */
const ROOT = resolve(__dirname, '../..');
const CATALOG = join(ROOT, 'chatops.config.yaml');
const TOKEN = 'hostile-service-token-'.padEnd(48, 'z');
const GITHUB_TOKEN = 'ghs_hostile_options_token_000000000000';
const SRE = { ids: [], names: ['sre'] };

/** A valid value for each option, so that only the hostile one is wrong. */
const VALID: Record<string, string> = {
  service: 'api',
  env: 'staging',
  ref: 'main',
  version: 'v1.4.0',
  count: '5',
  reason: 'investigating',
  minutes: '30',
  from: 'staging',
  to: 'prod',
  days: '7',
};

const HOSTILE_TEXT: [string, string][] = [
  ['a NUL and shell', 'api\u0000; rm -rf / `$(reboot)`'],
  ['5,000 characters', 'x'.repeat(5000)],
  ['markdown and mentions', '**bold** <@&123456789012345678> @everyone [x](https://evil.example)'],
  ['a path', '../../../etc/passwd'],
  ['a line break', 'staging\n--force'],
];
/** Free text (a reason): markdown or a path is text like any other; control characters and size are not. */
const FREE_TEXT = new Set(['lock reason', 'unlock reason']);
const HOSTILE_FREE_TEXT = HOSTILE_TEXT.filter(([label]) =>
  ['a NUL and shell', '5,000 characters', 'a line break'].includes(label),
);
const HOSTILE_INTEGER: [string, string][] = [
  ['zero', '0'],
  ['negative', '-5'],
  ['huge', '1000000000000'],
  ['fractional', '1.5'],
];

/** A slash command as Discord delivers it, recording what the bot answers. */
function interactionOf(commandName: string, options: Record<string, string>) {
  const calls: Record<string, unknown>[] = [];
  const state = { replied: false, deferred: false };
  const record = (method: string) => async (opts?: unknown) => {
    calls.push({ method, ...(opts as Record<string, unknown>) });
    if (method === 'reply') state.replied = true;
    if (method === 'deferReply') state.deferred = true;
  };
  const interaction: ChatInteraction = {
    id: 'hostile-interaction',
    commandName,
    user: { id: '222222222222222222', username: 'mallory' },
    guildId: '333333333333333333',
    channelId: '444444444444444444',
    get replied() {
      return state.replied;
    },
    get deferred() {
      return state.deferred;
    },
    options: {
      getString: (name) => options[name] ?? null,
      getInteger: (name) => (options[name] === undefined ? null : Number(options[name])),
    },
    reply: record('reply'),
    deferReply: record('deferReply'),
    editReply: record('editReply'),
    followUp: record('followUp'),
    showModal: record('showModal'),
  };
  return { interaction, calls };
}

interface OptionRule {
  name: string;
  type: number;
  choices?: { value: string | number }[];
}

let dir: string;
let github: GithubSimulator;
let aws: AwsSimulator;
let api: RunningProcess;
let client: ApiClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chatops-hostile-'));
  const port = await freePort();
  github = await new GithubSimulator({
    owner: 'acme',
    repo: 'chatops',
    token: GITHUB_TOKEN,
    timing: { queuedMs: 50, stepMs: 20 },
  }).start();
  aws = await new AwsSimulator({
    project: 'chatops',
    environments: ['staging', 'prod'],
    services: ['api', 'bot'],
    initialVersion: 'v1.4.0',
  }).start();
  api = await startApiProcess({
    port,
    databaseUrl: `sqlite:${join(dir, 'chatops.sqlite')}`,
    serviceToken: TOKEN,
    github: { apiUrl: github.baseUrl, token: GITHUB_TOKEN },
    aws: aws.clientEnv,
  });
  client = new ApiClient({ baseUrl: `http://127.0.0.1:${port}`, serviceToken: TOKEN });
}, 60_000);

afterAll(async () => {
  await api?.stop('SIGKILL');
  await github?.stop();
  await aws?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** GitHub and AWS calls that change something. */
const changes = () => ({
  github: github.countRequests(/^(POST|PUT|PATCH|DELETE) /),
  aws: aws.calls.filter((c) => /^SSM\.(SendCommand|CancelCommand|PutParameter)$/.test(c.action))
    .length,
});

const registry = createCommandRegistry();
const cases: [string, string, string, string][] = [];
for (const command of registry.toJSON() as { name: string; options?: OptionRule[] }[])
  for (const option of command.options ?? []) {
    const values: [string, string][] =
      option.type === 4
        ? HOSTILE_INTEGER
        : option.type === 3 && FREE_TEXT.has(`${command.name} ${option.name}`)
          ? HOSTILE_FREE_TEXT
          : option.type === 3
            ? [
                ...(option.choices?.length ? [['not a choice', 'nuke'] as [string, string]] : []),
                ...HOSTILE_TEXT,
              ]
            : [];
    for (const [label, value] of values) cases.push([command.name, option.name, label, value]);
  }

describe('a hostile value in any option of any command', () => {
  it('covers every text and integer option of every command', () => {
    const covered = new Set(cases.map(([c, o]) => `${c} ${o}`));
    expect(covered).toEqual(
      new Set([
        'alerts env',
        'ami action',
        'audit count',
        'audit service',
        'audit env',
        'deploy service',
        'deploy env',
        'deploy ref',
        'deploy-cancel service',
        'deploy-cancel env',
        'dora service',
        'dora env',
        'dora days',
        'infra action',
        'infra env',
        'lock service',
        'lock env',
        'lock reason',
        'lock minutes',
        'promote service',
        'promote from',
        'promote to',
        'redeploy service',
        'redeploy env',
        'redeploy version',
        'rollback service',
        'rollback env',
        'rollback to',
        'runs service',
        'status env',
        'unlock service',
        'unlock env',
        'unlock reason',
      ]),
    );
  });

  it.each(cases)(
    '/%s %s: %s is refused with its reason, audited, and reaches neither GitHub nor AWS',
    async (commandName, optionName, _label, value) => {
      const command = registry.get(commandName);
      const options: Record<string, string> = {};
      for (const rule of (command?.data.toJSON().options ?? []) as OptionRule[]) {
        if (rule.type !== 3 && rule.type !== 4) continue;
        const valid = rule.choices?.[0]?.value ?? VALID[rule.name];
        if (valid !== undefined) options[rule.name] = String(valid);
      }
      options[optionName] = value;
      const before = changes();
      const audited = (await client.listAudit({ limit: 500 })).length;
      const { interaction, calls } = interactionOf(commandName, options);
      const outcome = await new CommandDispatcher(
        { api: client, catalog: loadCatalog(CATALOG), registry, gatewayPing: () => 1 },
        pino({ level: 'silent' }),
      ).dispatch(interaction, SRE);

      const answer = calls.at(-1) ?? {};
      const content = String(answer['content'] ?? JSON.stringify(answer)).slice(0, 500);
      expect([outcome, content]).toEqual([expect.stringMatching(/^(invalid|error)$/), content]);
      expect(content).toMatch(/^(⚠️|⛔)/);
      expect(content).not.toMatch(/failed unexpectedly/);
      // Shown back, the value pings nobody and carries no control character.
      // eslint-disable-next-line no-control-regex
      expect(content).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
      // Outside code spans (inside them Discord renders text as typed, mentions included).
      expect(content.replace(/`[^`]*`/g, '')).not.toMatch(/<@|\*\*bold|\]\(http/);
      expect(changes()).toEqual(before);
      // The bot audits its own refusals without waiting; the API audits before answering.
      let after = audited;
      for (let i = 0; i < 50 && after === audited; i++) {
        after = (await client.listAudit({ limit: 500 })).length;
        if (after === audited) await new Promise((r) => setTimeout(r, 20));
      }
      expect(after).toBeGreaterThan(audited);
      const [latest] = await client.listAudit({ limit: 1 });
      expect(latest?.outcome).toMatch(/^(rejected|denied|failed)$/);
      expect(latest?.actor.id).toBe('222222222222222222');
    },
  );
});
