import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSimulator } from '@chatops/aws-sim';
import { GithubSimulator } from '@chatops/github-sim';
import {
  eventually,
  freePorts,
  PostgresServer,
  RunningProcess,
  startApiProcess,
  startPostgres,
} from '@chatops/testing';

/**
 * Copies of one request, and rival requests, sent at once to real API processes: on SQLite
 * (one process) and on PostgreSQL (two processes on one database, copies spread over both).
 * Each request id reaches GitHub or SSM once; rivals are refused with the holder named.
 */
const TOKEN = 'concurrent-service-token-'.padEnd(48, 'z');
const GITHUB_TOKEN = 'ghs_concurrent_requests_token_000000000';
const SECRET = 'concurrent-requests-webhook-secret-00';
const COPIES = 20;

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const deployer = (i: number) => ({
  actor: { id: String(1000 + i), name: `user${i}` },
  roles: { ids: [], names: ['deployer'] },
});
const approver = {
  actor: { id: '2000', name: 'approver1' },
  roles: { ids: [], names: ['approver'] },
};

interface Answer {
  status: number;
  body: {
    outcome?: string;
    message?: string;
    deployment?: { id: string; status: string; runId: string | null };
  };
}

interface DeploymentView {
  id: string;
  requestId: string;
  status: string;
}

const backends = [
  { name: 'SQLite, one API process', instances: 1, postgres: false },
  { name: 'PostgreSQL, two API processes on one database', instances: 2, postgres: true },
];

describe.each(backends)('concurrent requests on $name', (backend) => {
  let dir: string;
  let postgres: PostgresServer | undefined;
  let github: GithubSimulator;
  let aws: AwsSimulator;
  let ports: number[];
  const apis: RunningProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatops-concurrent-'));
    ports = await freePorts(backend.instances);
    if (backend.postgres) postgres = await startPostgres();
    github = await new GithubSimulator({
      owner: 'acme',
      repo: 'chatops',
      token: GITHUB_TOKEN,
      // GitHub delivers to one URL (a load balancer in front of the replicas): the first here.
      webhook: { url: `http://127.0.0.1:${ports[0]}/v1/github/webhook`, secret: SECRET },
      timing: { queuedMs: 100, stepMs: 100 },
    }).start();
    aws = await new AwsSimulator({
      project: 'chatops',
      environments: ['staging', 'prod'],
      services: ['api', 'bot'],
      initialVersion: 'v1.4.0',
      // The versions the redeploy copies ask for, one per backend (instances 1 and 2).
      images: ['v2.0.1', 'v2.0.2'],
      timing: { deliverMs: 100, redeployMs: 200 },
    }).start();
    const databaseUrl = postgres?.url ?? `sqlite:${join(dir, 'chatops.sqlite')}`;
    // One at a time: the first migrates the database, the second finds it migrated.
    for (const port of ports) apis.push(await startApi(port, databaseUrl));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(apis.map((api) => api.stop('SIGKILL')));
    await github?.stop();
    await aws?.stop();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function startApi(port: number, databaseUrl: string): Promise<RunningProcess> {
    return startApiProcess({
      port,
      databaseUrl,
      serviceToken: TOKEN,
      github: { apiUrl: github.baseUrl, token: GITHUB_TOKEN, webhookSecret: SECRET },
      aws: aws.clientEnv,
      env: { GITHUB_POLL_INTERVAL_MS: '1000' },
    });
  }

  /** The i-th call goes to instance i mod n, as a load balancer spreads them. */
  async function call(i: number, method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`http://127.0.0.1:${ports[i % ports.length]}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  }

  const all = <T>(make: (i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: COPIES }, (_, i) => make(i)));

  const dispatches = () => github.countRequests(/^POST .*\/dispatches$/);
  const cancels = () => github.countRequests(/^POST .*\/cancel$/);
  const sendCommands = () => aws.calls.filter((c) => c.action === 'SSM.SendCommand').length;

  async function deployment(requestId: string): Promise<DeploymentView | undefined> {
    const { body } = await call(0, 'GET', '/v1/deployments?limit=100');
    return (body as { deployments: DeploymentView[] }).deployments.find(
      (d) => d.requestId === requestId,
    );
  }

  async function auditOf(deploymentId: string) {
    const { body } = await call(0, 'GET', '/v1/audit?limit=500');
    return (
      body as { events: { action: string; outcome: string; detail: Record<string, unknown> }[] }
    ).events.filter((e) => e.detail['deploymentId'] === deploymentId);
  }

  const ended = (requestId: string) =>
    eventually(
      `${requestId} to end`,
      async () => {
        const d = await deployment(requestId);
        return d && ['succeeded', 'failed', 'cancelled'].includes(d.status) ? d : undefined;
      },
      { timeoutMs: 30_000 },
    );

  it('twenty copies of one deploy: one dispatch, one deployment, the rest "existing"', async () => {
    const before = dispatches();
    const body = {
      requestId: `copies-deploy-${backend.instances}`,
      kind: 'deploy',
      service: 'api',
      environment: 'staging',
      ref: 'main',
      ...deployer(1),
    };
    const answers = await all((i) => call(i, 'POST', '/v1/deployments', body));
    expect(answers.map((a) => a.status)).toEqual(Array(COPIES).fill(201));
    const outcomes = answers.map((a) => a.body.outcome);
    expect(outcomes.filter((o) => o === 'dispatched')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'existing')).toHaveLength(COPIES - 1);
    expect(new Set(answers.map((a) => a.body.deployment?.id)).size).toBe(1);
    expect(dispatches() - before).toBe(1);
    const done = await ended(body.requestId);
    expect(done.status).toBe('succeeded');
    const audit = await auditOf(done.id);
    expect(audit.filter((e) => e.outcome === 'requested')).toHaveLength(1);
    expect(audit.filter((e) => e.outcome === 'succeeded')).toHaveLength(1);
  }, 60_000);

  it('twenty rival deploys of one service: one dispatch, nineteen refusals naming the holder', async () => {
    const before = dispatches();
    const answers = await all((i) =>
      call(i, 'POST', '/v1/deployments', {
        requestId: `rival-${backend.instances}-${i}`,
        kind: 'deploy',
        service: 'bot',
        environment: 'staging',
        ref: 'main',
        ...deployer(i),
      }),
    );
    const winners = answers.filter((a) => a.status === 201);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.body.outcome).toBe('dispatched');
    const holder = `user${answers.indexOf(winners[0] as Answer)}`;
    const refused = answers.filter((a) => a.status === 409);
    expect(refused).toHaveLength(COPIES - 1);
    for (const answer of refused)
      expect(answer.body.message).toMatch(
        new RegExp(`^bot on staging is locked by ${holder}'s deploy since <t:\\d+:R>`),
      );
    expect(dispatches() - before).toBe(1);
    expect(
      (await ended(`rival-${backend.instances}-${answers.indexOf(winners[0] as Answer)}`)).status,
    ).toBe('succeeded');
  }, 60_000);

  it('twenty copies of one redeploy: one SendCommand to the hosts', async () => {
    const before = sendCommands();
    const body = {
      requestId: `copies-redeploy-${backend.instances}`,
      kind: 'redeploy',
      service: 'api',
      environment: 'staging',
      version: `v2.0.${backend.instances}`,
      ...deployer(1),
    };
    const answers = await all((i) => call(i, 'POST', '/v1/deployments', body));
    expect(answers.map((a) => a.status)).toEqual(Array(COPIES).fill(201));
    expect(answers.filter((a) => a.body.outcome === 'dispatched')).toHaveLength(1);
    expect(sendCommands() - before).toBe(1);
    expect((await ended(body.requestId)).status).toBe('succeeded');
    expect(sendCommands() - before).toBe(1);
    expect(aws.hostsOf('staging').map((h) => h.running['api'])).toEqual([
      body.version,
      body.version,
    ]);
  }, 60_000);

  it('twenty copies of one approval dispatch once; twenty copies of one cancel reach GitHub once', async () => {
    github.timing = { queuedMs: 100, stepMs: 1000 };
    const requestId = `copies-approval-${backend.instances}`;
    const requested = await call(0, 'POST', '/v1/deployments', {
      requestId,
      kind: 'deploy',
      service: 'api',
      environment: 'prod',
      ref: 'main',
      ...deployer(1),
    });
    expect(requested.body.outcome).toBe('pending_approval');
    const id = requested.body.deployment?.id as string;
    const beforeDispatches = dispatches();
    const approvals = await all((i) => call(i, 'POST', `/v1/deployments/${id}/approve`, approver));
    expect(approvals.map((a) => a.status)).toEqual(Array(COPIES).fill(200));
    expect(approvals.filter((a) => a.body.outcome === 'dispatched')).toHaveLength(1);
    expect(approvals.filter((a) => a.body.outcome === 'existing')).toHaveLength(COPIES - 1);
    expect(dispatches() - beforeDispatches).toBe(1);

    const beforeCancels = cancels();
    const cancelled = await all((i) =>
      call(i, 'POST', `/v1/deployments/${id}/cancel`, deployer(1)),
    );
    expect(cancelled.map((a) => a.status)).toEqual(Array(COPIES).fill(200));
    expect(new Set(cancelled.map((a) => a.body.outcome))).toEqual(new Set(['cancelling']));
    expect(cancels() - beforeCancels).toBe(1);
    expect((await ended(requestId)).status).toBe('cancelled');

    const audit = await auditOf(id);
    expect(audit.filter((e) => e.action === 'deploy.approve')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'deploy.cancel')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'deploy' && e.outcome === 'cancelled')).toEqual([
      expect.objectContaining({ actor: deployer(1).actor }),
    ]);
    github.timing = { queuedMs: 100, stepMs: 100 };
  }, 60_000);
});
