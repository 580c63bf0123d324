import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GithubSimulator } from '@chatops/github-sim';
import { freePort, RunningProcess, startNode, waitForHttp } from '@chatops/testing';

/**
 * The API process killed with SIGKILL at each step boundary of a deploy, then started again on
 * the same SQLite database: every deployment carries on or ends, none is dispatched twice, no
 * lease is left behind.
 */
const WORKSPACE = resolve(__dirname, '../../..');
const MAIN = join(WORKSPACE, 'dist/apps/api/main.js');
const TOKEN = 'crash-service-token-'.padEnd(48, 'z');
const GITHUB_TOKEN = 'ghs_crash_recovery_token_0000000000000';
const SECRET = 'crash-recovery-webhook-secret-0000';

let dir: string;
let port: number;
let github: GithubSimulator;
let api: RunningProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chatops-crash-'));
  port = await freePort();
  github = await new GithubSimulator({
    owner: 'acme',
    repo: 'chatops',
    token: GITHUB_TOKEN,
    webhook: { url: `http://127.0.0.1:${port}/v1/github/webhook`, secret: SECRET },
    timing: { queuedMs: 100, stepMs: 50 },
  }).start();
});

afterAll(async () => {
  await api?.stop('SIGKILL');
  await github.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startApi(): Promise<RunningProcess> {
  const proc = startNode(MAIN, {
    PORT: String(port),
    HOST: '127.0.0.1',
    API_SERVICE_TOKEN: TOKEN,
    CATALOG_PATH: join(WORKSPACE, 'chatops.config.yaml'),
    DATABASE_URL: `sqlite:${join(dir, 'chatops.sqlite')}`,
    LOG_LEVEL: 'warn',
    GITHUB_API_URL: github.baseUrl,
    GITHUB_TOKEN,
    GITHUB_WEBHOOK_SECRET: SECRET,
    GITHUB_POLL_INTERVAL_MS: '1000',
    GITHUB_WEBHOOK_GRACE_MS: '500',
    GITHUB_WRITE_INTERVAL_MS: '0',
    GITHUB_DISPATCH_DEADLINE_MS: '2000',
    GITHUB_RUN_LISTING_DELAY_MS: '1000',
  });
  await waitForHttp(`http://127.0.0.1:${port}/health/ready`, { process: proc, timeoutMs: 20_000 });
  return proc;
}

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

function deploy(requestId: string, service = 'api') {
  return fetch(`http://127.0.0.1:${port}/v1/deployments`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      requestId,
      kind: 'deploy',
      service,
      environment: 'staging',
      ref: 'main',
      actor: { id: '1', name: 'alice' },
      roles: { ids: [], names: ['deployer'] },
    }),
  });
}

interface DeploymentView {
  id: string;
  requestId: string;
  status: string;
  runId: string | null;
  error: string | null;
}

async function deployments(): Promise<DeploymentView[]> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/deployments?limit=100`, { headers });
  return ((await res.json()) as { deployments: DeploymentView[] }).deployments;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seen = await deployments().catch(() => []);
  throw new Error(`timed out waiting for ${what}; deployments: ${JSON.stringify(seen)}`);
}

const dispatches = () => github.countRequests(/^POST .*\/dispatches$/);
const byRequest = async (requestId: string) =>
  (await deployments()).find((d) => d.requestId === requestId);

/** Sends a deploy, and kills the API with SIGKILL once GitHub has seen the dispatch. */
async function killDuringDispatch(requestId: string, service: string) {
  const before = dispatches();
  const pending = deploy(requestId, service).catch(() => null);
  await until('the dispatch to reach GitHub', async () =>
    dispatches() > before ? true : undefined,
  );
  await api?.stop('SIGKILL');
  expect(await pending).toBeNull();
}

describe('a deploy survives the API being killed', () => {
  it('before GitHub started a run: ended as never dispatched, lease released, not dispatched again', async () => {
    api = await startApi();
    github.stallNextDispatch('before-run');
    await killDuringDispatch('killed-before-run', 'api');
    expect(github.listRuns()).toHaveLength(0);

    api = await startApi();
    const ended = await until('the deployment to end', async () => {
      const d = await byRequest('killed-before-run');
      return d?.status === 'failed' ? d : undefined;
    });
    expect(ended.error).toMatch(
      /^never dispatched: no GitHub run named with request killed-before-run/,
    );
    expect(github.listRuns()).toHaveLength(0);
    // The lease went with it: the next deploy of the service dispatches.
    const next = await deploy('after-never-dispatched', 'api');
    expect(next.status).toBe(201);
    expect(((await next.json()) as { outcome: string }).outcome).toBe('dispatched');
    await until('that run to finish', async () =>
      (await byRequest('after-never-dispatched'))?.status === 'succeeded' ? true : undefined,
    );
  }, 60_000);

  it('after GitHub started the run but before its id was recorded: the run is found and followed to its end', async () => {
    github.stallNextDispatch('after-run');
    const runsBefore = github.listRuns().length;
    await killDuringDispatch('killed-after-run', 'bot');
    expect(github.listRuns()).toHaveLength(runsBefore + 1);
    const run = github.listRuns().at(-1);

    api = await startApi();
    const done = await until('the run to be followed to its end', async () => {
      const d = await byRequest('killed-after-run');
      return d?.status === 'succeeded' ? d : undefined;
    });
    expect(done.runId).toBe(String(run?.id));
    expect(github.listRuns()).toHaveLength(runsBefore + 1);
    const next = await deploy('after-recovered-run', 'bot');
    expect(((await next.json()) as { outcome: string }).outcome).toBe('dispatched');
  }, 60_000);

  it('while tracking the run: carried on after the restart, and its lease released at the end', async () => {
    github.timing = { queuedMs: 100, stepMs: 300 };
    const res = await deploy('killed-while-tracking', 'api');
    expect(((await res.json()) as { outcome: string }).outcome).toBe('dispatched');
    await until('the run to be running', async () =>
      (await byRequest('killed-while-tracking'))?.status === 'running' ? true : undefined,
    );
    await api?.stop('SIGKILL');

    api = await startApi();
    await until('the run to be followed to its end', async () =>
      (await byRequest('killed-while-tracking'))?.status === 'succeeded' ? true : undefined,
    );
    const next = await deploy('after-tracked-run', 'api');
    expect(((await next.json()) as { outcome: string }).outcome).toBe('dispatched');
    // One dispatch per request id, across all three crashes.
    const ids = (await deployments()).map((d) => d.requestId);
    expect(dispatches()).toBe(ids.length);
  }, 60_000);
});
