import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  assembleProductionImage,
  bundleSources,
  freePort,
  productionInstallProblems,
  runHealthcheck,
  startImage,
  waitForHttp,
  type AssembledImage,
  type RunningProcess,
} from '@chatops/testing';

/**
 * What apps/api/Dockerfile puts in the image runs: its deps stage installs production
 * dependencies from the pruned lockfile `nx build api` wrote, in a directory outside the
 * workspace; the runtime stage's files, ENV, CMD and HEALTHCHECK are then used as the
 * container would use them.
 */
const WORKSPACE = resolve(__dirname, '../../..');
const TOKEN = 'image-e2e-service-token-'.padEnd(48, 'i');

describe('the api image contents', () => {
  let image: AssembledImage;
  let proc: RunningProcess | undefined;

  beforeAll(() => {
    image = assembleProductionImage(WORKSPACE, 'api');
  }, 600_000);

  afterAll(async () => {
    await proc?.stop('SIGKILL');
    rmSync(resolve(image.dir, '..'), { recursive: true, force: true });
  });

  it('holds the production dependencies of the pruned lockfile and none of the workspace tools', () => {
    expect(productionInstallProblems(image)).toEqual([]);
    // The native SQLite driver was built for this Node (in the image: the deps stage's).
    expect(existsSync(join(image.dir, 'node_modules/better-sqlite3/build/Release'))).toBe(true);
    expect(image.skippedRuns).toEqual(['mkdir /data && chown node:node /data']);
  });

  it('starts with its CMD, answers /health/ready and passes its HEALTHCHECK', async () => {
    const port = await freePort();
    proc = startImage(image, {
      // /data is the image's volume; here a directory beside the bundle.
      DATABASE_URL: `sqlite:${join(image.dir, 'data', 'chatops.sqlite')}`,
      HEALTH_DISK_PATH: image.dir,
      HOST: '127.0.0.1',
      PORT: String(port),
      API_SERVICE_TOKEN: TOKEN,
    });
    const ready = await waitForHttp(`http://127.0.0.1:${port}/health/ready`, {
      process: proc,
      timeoutMs: 30_000,
    });
    expect(await ready.json()).toMatchObject({ status: 'ok' });
    expect(await runHealthcheck(image, port)).toBe(0);

    const { code } = await proc.stop('SIGTERM');
    expect(code).toBe(0);
    expect(proc.output()).not.toContain(TOKEN);
    // And the health check fails once the API is gone (so the pass above means something).
    expect(await runHealthcheck(image, port)).toBe(1);
  });

  it('was built from files the Docker build context lets in', () => {
    const { sources, outsideContext } = bundleSources(WORKSPACE, image, 'main.js');
    expect(sources.length).toBeGreaterThan(50);
    expect(outsideContext).toEqual([]);
  });
});
