import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { DiscordSimulator } from '@chatops/discord-sim';
import {
  assembleProductionImage,
  bundleSources,
  freePort,
  productionInstallProblems,
  runHealthcheck,
  startImage,
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
    expect(productionInstallProblems(image)).toEqual([]);
    expect(image.skippedRuns).toEqual([]);
  });

  it('starts with its CMD, connects to Discord, answers /health/ready and passes its HEALTHCHECK', async () => {
    const port = await freePort();
    proc = startImage(image, {
      HOST: '127.0.0.1',
      PORT: String(port),
      API_SERVICE_TOKEN: SERVICE_TOKEN,
      DISCORD_TOKEN,
      DISCORD_API_URL: sim.restUrl,
    });
    const ready = await waitForHttp(`http://127.0.0.1:${port}/health/ready`, {
      process: proc,
      timeoutMs: 30_000,
    });
    expect(await ready.json()).toMatchObject({ status: 'ok', gateway: { status: 'ready' } });
    expect(await runHealthcheck(image, port)).toBe(0);

    const { code } = await proc.stop('SIGTERM');
    expect(code).toBe(0);
    expect(proc.output()).not.toContain(DISCORD_TOKEN);
    expect(await runHealthcheck(image, port)).toBe(1);
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
    for (const bundle of ['main.js', 'register-commands.js']) {
      const { sources, outsideContext } = bundleSources(WORKSPACE, image, bundle);
      expect(sources.length).toBeGreaterThan(10);
      expect(outsideContext).toEqual([]);
    }
  });
});
