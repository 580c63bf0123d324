import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSimulator } from '@chatops/aws-sim';
import { GithubSimulator } from '@chatops/github-sim';
import {
  freePort,
  PostgresServer,
  RunningProcess,
  startApiProcess,
  startPostgres,
} from '@chatops/testing';

/**
 * The API process killed with SIGKILL at each step boundary of a deploy and of a redeploy, then
 * started again on the same database (SQLite, and PostgreSQL): every deployment carries on or
 * ends, none is dispatched or sent twice, no lease is left behind.
 */
const TOKEN = 'crash-service-token-'.padEnd(48, 'z');
const GITHUB_TOKEN = 'ghs_crash_recovery_token_0000000000000';
const SECRET = 'crash-recovery-webhook-secret-0000';

const backends = [
  { name: 'SQLite', postgres: false },
  { name: 'PostgreSQL', postgres: true },
];

describe.each(backends)('on $name', (backend) => {
  let dir: string;
  let port: number;
  let databaseUrl: string;
  let postgres: PostgresServer | undefined;
  let github: GithubSimulator;
  let aws: AwsSimulator;
  let api: RunningProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatops-crash-'));
    port = await freePort();
    if (backend.postgres) postgres = await startPostgres();
    databaseUrl = postgres?.url ?? `sqlite:${join(dir, 'chatops.sqlite')}`;
    github = await new GithubSimulator({
      owner: 'acme',
      repo: 'chatops',
      token: GITHUB_TOKEN,
      webhook: { url: `http://127.0.0.1:${port}/v1/github/webhook`, secret: SECRET },
      timing: { queuedMs: 100, stepMs: 50 },
    }).start();
    aws = await new AwsSimulator({
      project: 'chatops',
      environments: ['staging', 'prod'],
      services: ['api', 'bot'],
      initialVersion: 'v1.4.0',
      images: ['v2.0.0', 'v3.0.0'],
      timing: { deliverMs: 100, redeployMs: 300 },
    }).start();
  }, 60_000);

  afterAll(async () => {
    await api?.stop('SIGKILL');
    await github.stop();
    await aws.stop();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function startApi(): Promise<RunningProcess> {
    return startApiProcess({
      port,
      databaseUrl,
      serviceToken: TOKEN,
      github: { apiUrl: github.baseUrl, token: GITHUB_TOKEN, webhookSecret: SECRET },
      aws: aws.clientEnv,
      env: {
        GITHUB_POLL_INTERVAL_MS: '1000',
        GITHUB_WEBHOOK_GRACE_MS: '500',
        GITHUB_DISPATCH_DEADLINE_MS: '2000',
        GITHUB_RUN_LISTING_DELAY_MS: '1000',
        FLEET_POLL_INTERVAL_MS: '500',
        FLEET_SEND_DEADLINE_MS: '3000',
      },
    });
  }

  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

  function deploy(requestId: string, service = 'api') {
    return request({ requestId, kind: 'deploy', service, environment: 'staging', ref: 'main' });
  }

  function redeploy(requestId: string, version: string, service = 'api') {
    return request({ requestId, kind: 'redeploy', service, environment: 'staging', version });
  }

  function request(body: Record<string, unknown>) {
    return fetch(`http://127.0.0.1:${port}/v1/deployments`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        ...body,
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
  const awsCalls = (action: string) => aws.calls.filter((c) => c.action === action).length;
  const byRequest = async (requestId: string) =>
    (await deployments()).find((d) => d.requestId === requestId);

  /** Sends a request, and kills the API with SIGKILL once `reached()` says its call went out. */
  async function killWhen(send: () => Promise<Response>, reached: () => boolean) {
    let answered: string | null = null;
    const pending = send()
      .then(async (res) => {
        answered = `${res.status} ${await res.text()}`;
        return res;
      })
      .catch(() => null);
    const deadline = Date.now() + 20_000;
    while (!reached()) {
      if (answered) throw new Error(`answered before its call went out: ${answered}`);
      if (Date.now() > deadline) throw new Error('the call never reached its system');
      await new Promise((r) => setTimeout(r, 20));
    }
    await api?.stop('SIGKILL');
    expect(await pending).toBeNull();
  }

  /** Sends a deploy, and kills the API with SIGKILL once GitHub has seen the dispatch. */
  async function killDuringDispatch(requestId: string, service: string) {
    const before = dispatches();
    await killWhen(
      () => deploy(requestId, service),
      () => dispatches() > before,
    );
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

  describe('a redeploy survives the API being killed', () => {
    it('after SSM accepted the command but before its id was recorded: found by its comment and followed to its end', async () => {
      api ??= await startApi();
      // The last deploy's lease on api/staging goes with its end.
      await until('the last deploy to end', async () =>
        (await byRequest('after-tracked-run'))?.status === 'succeeded' ? true : undefined,
      );
      const before = awsCalls('SSM.SendCommand');
      aws.holdNextAnswer(/^SSM\.SendCommand$/);
      await killWhen(
        () => redeploy('killed-after-send', 'v2.0.0'),
        () => awsCalls('SSM.SendCommand') > before,
      );
      api = await startApi();
      const done = await until('the command to be followed to its end', async () => {
        const d = await byRequest('killed-after-send');
        return d?.status === 'succeeded' ? d : undefined;
      });
      expect(done.runId).toMatch(/^[0-9a-f-]{36}$/);
      expect(awsCalls('SSM.SendCommand')).toBe(before + 1);
      expect(aws.hostsOf('staging').map((h) => h.running['api'])).toEqual(['v2.0.0', 'v2.0.0']);
      const next = await redeploy('after-found-command', 'v2.0.0');
      expect(((await next.json()) as { outcome: string }).outcome).toBe('dispatched');
    }, 60_000);

    it('after the desired version was written but before the command was sent: ended as never sent, the version set back', async () => {
      await until('the previous redeploy to end', async () =>
        (await byRequest('after-found-command'))?.status === 'succeeded' ? true : undefined,
      );
      const before = awsCalls('SSM.SendCommand');
      const puts = awsCalls('SSM.PutParameter');
      aws.holdNextAnswer(/^SSM\.PutParameter$/);
      await killWhen(
        () => redeploy('killed-before-send', 'v3.0.0', 'bot'),
        () => awsCalls('SSM.PutParameter') > puts,
      );
      expect(aws.history('/chatops/staging/bot/image').at(-1)?.value).toBe('v3.0.0');
      api = await startApi();
      const ended = await until('the redeploy to end', async () => {
        const d = await byRequest('killed-before-send');
        return d?.status === 'failed' ? d : undefined;
      });
      expect(ended.error).toMatch(
        /^never sent: no SSM command marked with this deployment 3 s after it was queued.*; the desired version was set back from v3\.0\.0 to v1\.4\.0$/,
      );
      expect(awsCalls('SSM.SendCommand')).toBe(before);
      expect(aws.history('/chatops/staging/bot/image').at(-1)?.value).toBe('v1.4.0');
      // Its lease went with it.
      const next = await redeploy('after-never-sent', 'v1.4.0', 'bot');
      expect(((await next.json()) as { outcome: string }).outcome).toBe('dispatched');
    }, 60_000);
  });
});
