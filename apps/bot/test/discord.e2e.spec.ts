import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ConversationEvent, DiscordSimulator, SimInteraction } from '@chatops/discord-sim';
import { freePort, RunningProcess, startNode, waitForHttp } from '@chatops/testing';

/**
 * The built bot, unchanged, against the Discord simulator: configuration alone points it there
 * (DISCORD_API_URL; the gateway URL comes from /gateway/bot).
 */
const WORKSPACE = resolve(__dirname, '../../..');
const DISCORD_TOKEN = 'MTAxMDEwMTAxMDEwMTAxMDEw.GdPxyz.'.padEnd(72, 'T');
const SERVICE_TOKEN = 'discord-e2e-service-token-'.padEnd(48, 's');

/** A stand-in for the API whose /v1/ping can be made slow or failing. */
const api = {
  pingDelayMs: 0,
  pingStatus: 200,
  audits: [] as unknown[],
  requests: [] as { url: string; body: Record<string, unknown> }[],
};
const DEPLOYMENT = {
  id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  kind: 'deploy',
  service: 'api',
  environment: 'prod',
  ref: 'main',
  status: 'dispatched',
  requestedBy: { id: '1', name: 'user1' },
  runId: '77',
  runUrl: 'https://github.com/acme/chatops/actions/runs/77',
  error: null,
  createdAt: 0,
  finishedAt: null,
  approvalsRequired: 1,
  expiresAt: null,
};
let apiServer: Server;
let sim: DiscordSimulator;
let bot: RunningProcess;
let botPort: number;
let registration: RunningProcess;

beforeAll(async () => {
  apiServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Bearer ${SERVICE_TOKEN}`)
        return reply(401, { message: 'Invalid service token' });
      if (req.url === '/v1/ping') {
        setTimeout(
          () => reply(api.pingStatus, api.pingStatus === 200 ? { pong: true } : {}),
          api.pingDelayMs,
        );
        return;
      }
      if (req.url?.startsWith('/v1/github/refs?')) {
        return reply(200, {
          refs: [
            { name: 'main', kind: 'branch' },
            { name: 'v1.4.0', kind: 'tag' },
          ],
        });
      }
      if (req.url?.startsWith('/v1/deployments') && req.method === 'POST') {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        api.requests.push({ url: req.url, body: parsed });
        return reply(req.url === '/v1/deployments' ? 201 : 200, {
          outcome: req.url === '/v1/deployments' ? 'pending_approval' : 'dispatched',
          deployment: {
            ...DEPLOYMENT,
            kind: parsed['kind'] ?? 'deploy',
            environment: parsed['environment'] ?? 'prod',
            expiresAt: 1_800_000_000_000,
          },
        });
      }
      if (req.url?.startsWith('/v1/audit?') && req.method === 'GET') {
        return reply(200, {
          events: api.audits
            .map((event, i) => ({
              ...(event as object),
              id: i + 1,
              occurredAt: 1_763_700_000_000,
              detail: {},
            }))
            .reverse(),
        });
      }
      if (req.url === '/v1/audit' && req.method === 'POST') {
        api.audits.push(JSON.parse(body));
        return reply(201, { id: api.audits.length });
      }
      reply(404, { message: 'not found' });
    });
  }).listen(0, '127.0.0.1');
  await once(apiServer, 'listening');

  sim = await new DiscordSimulator({ botToken: DISCORD_TOKEN }).start();
  const discordEnv = {
    DISCORD_TOKEN,
    DISCORD_APPLICATION_ID: sim.applicationId,
    DISCORD_GUILD_ID: sim.guildId,
    DISCORD_API_URL: sim.restUrl,
  };
  registration = startNode(join(WORKSPACE, 'dist/apps/bot/register-commands.js'), discordEnv);
  await registration.exited;

  botPort = await freePort();
  bot = startNode(join(WORKSPACE, 'dist/apps/bot/main.js'), {
    ...discordEnv,
    PORT: String(botPort),
    HOST: '127.0.0.1',
    API_URL: `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`,
    API_SERVICE_TOKEN: SERVICE_TOKEN,
    CATALOG_PATH: join(WORKSPACE, 'chatops.config.yaml'),
  });
  await waitForHttp(`http://127.0.0.1:${botPort}/health`, { process: bot, timeoutMs: 20_000 });
}, 40_000);

afterAll(async () => {
  await bot?.stop();
  apiServer?.close();
  await sim?.stop();
});

beforeEach(() => {
  api.requests.length = 0;
  api.pingDelayMs = 0;
  api.pingStatus = 200;
});

/** Waits until the conversation has an answer (anything but a bare deferral) or Discord gave up. */
async function settle(
  interaction: SimInteraction,
  timeoutMs = 10_000,
): Promise<ConversationEvent[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answered = interaction.events.some((e) => e.type !== 'deferred');
    if (answered) {
      await new Promise((r) => setTimeout(r, 100)); // anything that follows straight after
      return interaction.events;
    }
    await interaction.waitForEvents(interaction.events.length, deadline - Date.now());
  }
  return interaction.events;
}

describe('the bot against the Discord simulator', () => {
  it('registers its commands with one bulk overwrite', () => {
    expect(registration.output()).toContain(
      `Registered 18 commands (guild ${sim.guildId}): /alerts, /alerts-requeue, /ami, /audit, /deploy, /deploy-cancel, /dora, /help, /infra, /lock, /ping, /promote, /redeploy, /rollback, /runs, /silences, /status, /unlock`,
    );
    expect(
      sim
        .registeredCommands()
        .map((c) => c.name)
        .sort(),
    ).toEqual([
      'alerts',
      'alerts-requeue',
      'ami',
      'audit',
      'deploy',
      'deploy-cancel',
      'dora',
      'help',
      'infra',
      'lock',
      'ping',
      'promote',
      'redeploy',
      'rollback',
      'runs',
      'silences',
      'status',
      'unlock',
    ]);
    expect(sim.requests.filter((r) => r.startsWith('PUT /applications/'))).toHaveLength(1);
  });

  it('connects through the gateway URL from /gateway/bot and reports ready', async () => {
    expect(sim.requests).toContain('GET /gateway/bot');
    expect(sim.botConnected).toBe(true);
    const health = await (await fetch(`http://127.0.0.1:${botPort}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', gateway: { status: 'ready' } });
  });

  it('answers /ping ephemerally with gateway and API latency', async () => {
    const events = await settle(sim.invoke({ user: 'user1', command: 'ping' }));
    expect(events.map((e) => e.type)).toEqual(['reply']);
    expect(events[0]?.ephemeral).toBe(true);
    expect(events[0]?.message?.content).toMatch(
      /^🏓 Pong! Gateway heartbeat: .+ · API round trip: \d+ ms$/,
    );
    // It says whom it may ping: nobody.
    expect(events[0]?.message?.allowedMentions).toEqual({ parse: [], replied_user: false });
  });

  it('answers /help with the command list from the registry', async () => {
    const [reply] = await settle(
      sim.invoke({ user: 'user1', roles: ['deployer'], command: 'help' }),
    );
    const embed = reply?.message?.embeds[0] as { title: string; description: string };
    expect(embed.title).toBe('ChatOps commands');
    expect(embed.description).toContain('**/ping**: Gateway heartbeat and API round-trip latency');
    expect(embed.description).toContain('**/help**: What this bot can do');
  });

  it('tells the user about a command it does not serve (a stale registration)', async () => {
    const [reply] = await settle(
      sim.invoke({ user: 'user1', command: 'launch', allowUnregistered: true }),
    );
    expect(reply).toMatchObject({ type: 'reply', ephemeral: true });
    expect(reply?.message?.content).toBe(
      '⚠️ Unknown command `/launch`. `/help` lists the commands this bot serves.',
    );
  });

  it('audits a refusal through the API and shows it in /audit', async () => {
    const [denied] = await settle(sim.invoke({ user: 'user3', command: 'audit' }));
    expect(denied?.message?.content).toBe(
      '⛔ You need the `view` permission to use `/audit`. Ask an admin to grant it to one of your roles.',
    );
    const [reply] = await settle(
      sim.invoke({
        user: 'user1',
        roles: ['developer'],
        command: 'audit',
        options: { count: '5' },
      }),
    );
    const embed = reply?.message?.embeds[0] as { title: string; description: string };
    expect(embed.title).toBe('Recent activity (1)');
    expect(embed.description).toBe('⛔ <t:1763700000:R> **user3** audit · denied');
  });

  it('completes /deploy options: the catalog for services, GitHub (through the API) for refs', async () => {
    const typing = sim.autocomplete({
      user: 'user1',
      roles: ['developer'],
      command: 'deploy',
      options: { service: 'api' },
      focused: 'ref',
    });
    await typing.waitForEvents(0, 3000);
    expect(typing.events[0]).toMatchObject({
      type: 'autocomplete',
      choices: [
        { name: 'main', value: 'main' },
        { name: 'v1.4.0 (tag)', value: 'v1.4.0' },
      ],
    });
    const env = sim.autocomplete({
      user: 'user1',
      command: 'deploy',
      focused: 'env',
      options: { env: 'st' },
    });
    await env.waitForEvents(0, 3000);
    expect(env.events[0]?.choices).toEqual([{ name: 'staging', value: 'staging' }]);
  });

  it('asks for the environment name in a modal before /infra destroy, then sends it', async () => {
    const sre = { user: 'user5', roles: ['sre'] };
    const command = sim.invoke({
      ...sre,
      command: 'infra',
      options: { action: 'destroy', env: 'staging' },
    });
    const opened = await settle(command);
    expect(opened.map((e) => e.type)).toEqual(['modal']);
    expect(api.requests).toEqual([]);
    const [answer] = await settle(sim.submitModal(command.id, { confirmation: 'staging' }, sre));
    expect(api.requests[0]).toMatchObject({
      url: '/v1/deployments',
      body: {
        kind: 'infra-destroy',
        environment: 'staging',
        confirmation: 'staging',
        actor: { name: 'user5' },
      },
    });
    expect(answer?.message?.content).toMatch(/^🕓 Awaiting approval: terraform destroy → staging/);
  });

  it('sends an Approve press on a deployment message to the API as the presser', async () => {
    const posted = await fetch(`${sim.restUrl}/v10/channels/${sim.channelId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${DISCORD_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        content: '🕓 Awaiting approval',
        components: [
          {
            type: 1,
            components: [
              { type: 2, style: 3, label: 'Approve', custom_id: `deploy:approve:${DEPLOYMENT.id}` },
            ],
          },
        ],
      }),
    });
    const { id } = (await posted.json()) as { id: string };
    const [answer] = await settle(sim.press(id, 'Approve', { user: 'user2', roles: ['approver'] }));
    expect(api.requests).toEqual([
      {
        url: `/v1/deployments/${DEPLOYMENT.id}/approve`,
        body: expect.objectContaining({ actor: expect.objectContaining({ name: 'user2' }) }),
      },
    ]);
    expect(answer).toMatchObject({ type: 'reply', ephemeral: true });
    expect(answer?.message?.content).toBe(
      '✅ Approved: dispatched as run [#77](https://github.com/acme/chatops/actions/runs/77).',
    );
  });

  it('gives an ephemeral error when a handler throws, and keeps serving', async () => {
    api.pingStatus = 500;
    const [reply] = await settle(sim.invoke({ user: 'user1', command: 'ping' }));
    expect(reply).toMatchObject({ type: 'reply', ephemeral: true });
    expect(reply?.message?.content).toBe('⚠️ Pong from the bot, but API answered 500');
    api.pingStatus = 200;
    const [next] = await settle(sim.invoke({ user: 'user2', command: 'help' }));
    expect(next?.type).toBe('reply');
    expect(bot.child.exitCode).toBeNull();
  });

  it('defers a slow handler in time, so Discord never shows "did not respond"', async () => {
    api.pingDelayMs = 2600;
    const events = await settle(sim.invoke({ user: 'user1', command: 'ping' }));
    expect(events.map((e) => e.type)).toEqual(['deferred', 'edit']);
    expect(events[0]!.at).toBeLessThan(3000);
    expect(events[1]?.message?.content).toMatch(/API round trip: 26\d\d ms/);
  }, 15_000);

  it('waits out a 429 on the deferred reply and delivers it after retry_after', async () => {
    api.pingDelayMs = 2200;
    sim.rateLimits.forceNext(/^PATCH \/webhooks\//, 1, 1500);
    const before = sim.requests.length;
    const events = await settle(sim.invoke({ user: 'user1', command: 'ping' }));
    expect(events.map((e) => e.type)).toEqual(['deferred', 'edit']);
    const edits = sim.requests.slice(before).filter((r) => r.startsWith('PATCH /webhooks/'));
    expect(edits).toHaveLength(2);
    expect(events[1]!.at - 2200).toBeGreaterThanOrEqual(1500);
  }, 15_000);

  it('resumes its session after a gateway disconnect and keeps answering', async () => {
    const { resumes, identifies } = sim.gatewayStats;
    sim.disconnectGateway();
    const deadline = Date.now() + 15_000;
    while (sim.gatewayStats.resumes === resumes && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(sim.gatewayStats).toEqual({ resumes: resumes + 1, identifies });
    await waitForHttp(`http://127.0.0.1:${botPort}/health`, { process: bot });
    const [reply] = await settle(sim.invoke({ user: 'user1', command: 'ping' }));
    expect(reply?.type).toBe('reply');
    expect(bot.output()).toContain('discord gateway session resumed');
  }, 20_000);
});
