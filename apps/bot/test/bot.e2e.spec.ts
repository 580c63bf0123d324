import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DiscordSimulator } from '@chatops/discord-sim';
import { freePort, RunningProcess, startNode, waitForHttp } from '@chatops/testing';

const WORKSPACE = resolve(__dirname, '../../..');
const MAIN = join(WORKSPACE, 'dist/apps/bot/main.js');
const REGISTER = join(WORKSPACE, 'dist/apps/bot/register-commands.js');
const SERVICE_TOKEN = 'bot-e2e-service-token-'.padEnd(48, 'q');
const DISCORD_TOKEN = 'MTAxMDEwMTAxMDEwMTAxMDEw.GdPxyz.'.padEnd(72, 'T');

describe('bot process without a Discord token', () => {
  let proc: RunningProcess;

  afterEach(async () => {
    await proc?.stop('SIGKILL');
  });

  it('says plainly it has no Discord connection, keeps health up and reports not ready', async () => {
    const port = await freePort();
    proc = startNode(MAIN, {
      PORT: String(port),
      HOST: '127.0.0.1',
      API_SERVICE_TOKEN: SERVICE_TOKEN,
      CATALOG_PATH: join(WORKSPACE, 'chatops.config.yaml'),
    });
    const live = await waitForHttp(`http://127.0.0.1:${port}/health/live`, { process: proc });
    expect(await live.json()).toEqual({ status: 'ok' });
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: 'not_ready',
      gateway: { status: 'not_configured', reason: 'DISCORD_TOKEN is not set' },
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(
      'discord_gateway_ready{app="bot"} 0',
    );
    expect(proc.output()).toContain('No Discord connection configured: DISCORD_TOKEN is not set.');

    // Still up a while later: no crash loop.
    await new Promise((r) => setTimeout(r, 1000));
    expect(proc.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);

    const { code } = await proc.stop('SIGTERM');
    expect(code).toBe(0);
    expect(proc.output()).not.toContain(SERVICE_TOKEN);
  });

  it('refuses bad configuration with every problem listed', async () => {
    proc = startNode(MAIN, {
      PORT: '-1',
      API_URL: 'nowhere',
      CATALOG_PATH: join(WORKSPACE, 'chatops.config.yaml'),
    });
    const { code } = await proc.exited;
    expect(code).toBe(78);
    expect(proc.output()).toBe(
      [
        'Invalid configuration:',
        '  - PORT: Too small: expected number to be >=0',
        '  - API_URL: must be an absolute URL',
        '  - API_SERVICE_TOKEN: is required',
        '',
      ].join('\n'),
    );
  });
});

describe('bot process with an invalid catalog', () => {
  it('refuses to start, naming the file and the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bot-e2e-'));
    const catalog = join(dir, 'chatops.config.yaml');
    writeFileSync(catalog, 'project: chatops\nservices: []\n');
    const proc = startNode(MAIN, {
      API_SERVICE_TOKEN: SERVICE_TOKEN,
      CATALOG_PATH: catalog,
      PORT: '0',
    });
    const { code } = await proc.exited;
    expect(code).toBe(78);
    expect(proc.output()).toContain(`Invalid catalog ${catalog}:`);
    expect(proc.output()).toContain('  - services: Too small: expected array to have >=1 items');
  });
});

describe('npm run commands:register', () => {
  let sim: DiscordSimulator;

  beforeAll(async () => {
    sim = await new DiscordSimulator({ botToken: DISCORD_TOKEN }).start();
  });

  afterAll(() => sim.stop());

  // Asynchronous on purpose: the simulator answers from this process's event loop.
  const register = (token = DISCORD_TOKEN) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      const child = execFile(
        process.execPath,
        [REGISTER],
        {
          env: {
            PATH: process.env['PATH'],
            DISCORD_TOKEN: token,
            DISCORD_APPLICATION_ID: sim.applicationId,
            DISCORD_GUILD_ID: sim.guildId,
            DISCORD_API_URL: sim.restUrl,
          },
        },
        (_error, stdout, stderr) => done({ status: child.exitCode, stdout, stderr }),
      );
    });

  it('bulk-overwrites the guild commands once, then reports them unchanged', async () => {
    // Then the invite URL: both scopes; View, Send, Embed Links, Read History, Create Public
    // Threads and Send in Threads (2^10 + 2^11 + 2^14 + 2^16 + 2^35 + 2^38).
    const invite = `Invite the bot (scopes bot and applications.commands, the channel permissions it needs): https://discord.com/oauth2/authorize?client_id=${sim.applicationId}&scope=bot+applications.commands&permissions=309237730304&guild_id=${sim.guildId}&disable_guild_select=true\n`;
    const first = await register();
    expect(first.stdout).toBe(
      `Registered 18 commands (guild ${sim.guildId}): /alerts, /alerts-requeue, /ami, /audit, /deploy, /deploy-cancel, /dora, /help, /infra, /lock, /ping, /promote, /redeploy, /rollback, /runs, /silences, /status, /unlock\n${invite}`,
    );
    expect(first.status).toBe(0);
    const second = await register();
    expect(second.stdout).toBe(
      `Commands unchanged (guild ${sim.guildId}): /alerts, /alerts-requeue, /ami, /audit, /deploy, /deploy-cancel, /dora, /help, /infra, /lock, /ping, /promote, /redeploy, /rollback, /runs, /silences, /status, /unlock\n${invite}`,
    );
    expect(sim.requests.filter((r) => r.startsWith('PUT'))).toHaveLength(1);
  });

  it('fails clearly when Discord rejects the token, without printing it', async () => {
    const wrong = 'WRONG'.padEnd(72, 'x');
    const result = await register(wrong);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^Command registration failed \(Discord rejected DISCORD_TOKEN\): /,
    );
    expect(result.stderr + result.stdout).not.toContain(wrong);
  });
});
