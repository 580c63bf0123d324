import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort, RunningProcess, startNode, waitForHttp } from '@chatops/testing';

const WORKSPACE = resolve(__dirname, '../../..');
const MAIN = join(WORKSPACE, 'dist/apps/bot/main.js');
const REGISTER = join(WORKSPACE, 'dist/apps/bot/register-commands.js');
const SERVICE_TOKEN = 'bot-e2e-service-token-'.padEnd(48, 'q');
const DISCORD_TOKEN = 'MTAxMDEwMTAxMDEwMTAxMDEw.GdPxyz.'.padEnd(72, 'T');
const APPLICATION_ID = '555555555555555555';
const GUILD_ID = '666666666666666666';

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

/** Discord's command endpoints, enough to check registration end to end. */
function fakeDiscordRest() {
  let stored: Record<string, unknown>[] = [];
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Bot ${DISCORD_TOKEN}`)
        return send(401, { message: '401: Unauthorized', code: 0 });
      if (req.url !== `/api/v10/applications/${APPLICATION_ID}/guilds/${GUILD_ID}/commands`) {
        return send(404, { message: 'Unknown route', code: 0 });
      }
      if (req.method === 'GET') return send(200, stored);
      if (req.method === 'PUT') {
        stored = (JSON.parse(body) as Record<string, unknown>[]).map((command, i) => ({
          id: String(900000000000000000 + i),
          application_id: APPLICATION_ID,
          guild_id: GUILD_ID,
          version: '1',
          type: 1,
          default_member_permissions: null,
          nsfw: false,
          ...command,
        }));
        return send(200, stored);
      }
      return send(405, { message: '405: Method Not Allowed', code: 0 });
    });
  });
  return { server, requests };
}

describe('npm run commands:register', () => {
  let discord: ReturnType<typeof fakeDiscordRest>;
  let apiUrl: string;

  beforeAll(async () => {
    discord = fakeDiscordRest();
    discord.server.listen(0, '127.0.0.1');
    await once(discord.server, 'listening');
    apiUrl = `http://127.0.0.1:${(discord.server.address() as AddressInfo).port}/api`;
  });

  afterAll(() => discord.server.close());

  // Asynchronous on purpose: the fake Discord answers from this process's event loop.
  const register = (token = DISCORD_TOKEN) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      const child = execFile(
        process.execPath,
        [REGISTER],
        {
          env: {
            PATH: process.env['PATH'],
            DISCORD_TOKEN: token,
            DISCORD_APPLICATION_ID: APPLICATION_ID,
            DISCORD_GUILD_ID: GUILD_ID,
            DISCORD_API_URL: apiUrl,
          },
        },
        (_error, stdout, stderr) => done({ status: child.exitCode, stdout, stderr }),
      );
    });

  it('bulk-overwrites the guild commands once, then reports them unchanged', async () => {
    const first = await register();
    expect(first.stdout).toBe(`Registered 2 commands (guild ${GUILD_ID}): /help, /ping\n`);
    expect(first.status).toBe(0);
    const second = await register();
    expect(second.stdout).toBe(`Commands unchanged (guild ${GUILD_ID}): /help, /ping\n`);
    expect(discord.requests.filter((r) => r.startsWith('PUT'))).toHaveLength(1);
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
