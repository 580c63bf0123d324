import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Catalog } from '@chatops/domain';
import { GithubSimulator, SimGate } from '@chatops/github-sim';
import type { Repositories } from '@chatops/persistence';
import {
  catalog,
  GITHUB_TOKEN,
  githubRepositoryFor,
  member,
  pollToEnd,
  RecordingNotifier,
  useInMemoryRepositories,
} from './fixtures';
import { DeploymentPoller } from '../src/deployment-poller';
import { DeploymentTracker } from '../src/deployment-tracker';
import { DeploymentService } from '../src/deployment.service';
import { GithubEnvironmentGate } from '../src/github-environment-gate';
import { GithubWebhookIntake } from '../src/github-webhook-intake';

const REVIEWER_TOKEN = 'ghu_reviewer_token_of_release_manager_0000';
const alice = member('100', 'alice', 'deployer');
const bob = member('200', 'bob', 'approver');

const currentRepos = useInMemoryRepositories();
let repos: Repositories;
let github: GithubSimulator;
let receiver: Server;
let intake: GithubWebhookIntake | null = null;

/** The API's webhook endpoint, reduced to what matters here: deliveries reach the intake. */
beforeEach(async () => {
  repos = currentRepos();
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = String(req.headers['x-github-event']);
      const delivery = String(req.headers['x-github-delivery']);
      void (
        intake?.handle(event, delivery, JSON.parse(Buffer.concat(chunks).toString())) ??
        Promise.resolve()
      )
        .then(() => res.writeHead(200).end())
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
});
afterEach(async () => {
  intake = null;
  await github?.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
});

function gatedCatalog(mode: 'none' | 'reviewer-token' | 'protection-rule'): Catalog {
  return {
    ...catalog,
    environments: catalog.environments.map((e) =>
      e.name === 'prod' ? { ...e, githubApproval: mode } : e,
    ),
  };
}

async function setUp(mode: 'none' | 'reviewer-token' | 'protection-rule') {
  const port = (receiver.address() as AddressInfo).port;
  github = await new GithubSimulator({
    owner: 'acme',
    repo: 'chatops',
    token: GITHUB_TOKEN,
    timing: { queuedMs: 20, stepMs: 10 },
    environments: {
      prod:
        mode === 'protection-rule'
          ? { protectionRule: true }
          : { reviewers: [{ login: 'release-manager', token: REVIEWER_TOKEN }] },
    },
    webhook: { url: `http://127.0.0.1:${port}/`, secret: 'not-checked-here' },
  }).start();
  github.webhooksEnabled = mode === 'protection-rule';
  const cat = gatedCatalog(mode);
  const repository = githubRepositoryFor(github);
  const reviewer = githubRepositoryFor(github, REVIEWER_TOKEN);
  const gate = new GithubEnvironmentGate(cat, repos, {
    reviewer: mode === 'reviewer-token' ? reviewer : null,
    app: mode === 'protection-rule' ? repository : null,
  });
  const notifier = new RecordingNotifier();
  const tracker = new DeploymentTracker(repos, {
    notifier,
    onWaiting: async (d) => {
      await gate.runWaiting(d);
    },
  });
  intake = new GithubWebhookIntake(repos, tracker, gate);
  const service = new DeploymentService(cat, repos, repository, notifier);
  const poller = new DeploymentPoller(repos, repository, tracker, {
    intervalMs: 10,
    webhookGraceMs: 0,
  });
  return { service, poller, repository };
}

const prodDeploy = (service: DeploymentService) =>
  service.request({
    requestId: 'req-prod',
    kind: 'deploy',
    service: 'api',
    environment: 'prod',
    ref: 'main',
    ...alice,
  });

const gatesOf = (runId: string | null): SimGate[] =>
  (github.snapshot().runs.find((r) => String(r.payload.id) === runId)?.gates ?? []) as SimGate[];

describe('one approval: the Discord approval satisfies the GitHub environment', () => {
  it('approves the pending deployment as a required reviewer, naming the Discord approver', async () => {
    const { service, poller } = await setUp('reviewer-token');
    const requested = await prodDeploy(service);
    await service.approve(requested.deployment.id, bob);
    const ended = await pollToEnd(repos, poller, requested.deployment.id, 600);
    expect(ended.status).toBe('succeeded');
    const [gate] = gatesOf(ended.runId);
    expect(gate).toMatchObject({ environment: 'prod', state: 'approved', by: 'release-manager' });
    expect(gate?.comment).toBe(
      `Approved in Discord by bob (ChatOps deployment ${ended.id}, requested by alice).`,
    );
    const [audit] = await repos.audit.list({ action: 'deploy.github-approval', limit: 5 });
    expect(audit).toMatchObject({
      actor: { id: '200', name: 'bob' },
      outcome: 'succeeded',
      detail: { githubEnvironment: 'prod', via: 'pending_deployments' },
    });
    // Approved once, whatever number of polls saw it waiting.
    expect(github.countRequests(/^POST .*pending_deployments$/)).toBe(1);
  });

  it('answers the App’s protection rule for a ChatOps deployment, and refuses a run nobody asked for', async () => {
    const { service, poller, repository } = await setUp('protection-rule');
    const requested = await prodDeploy(service);
    await service.approve(requested.deployment.id, bob);
    const ended = await pollToEnd(repos, poller, requested.deployment.id, 600);
    expect(ended.status).toBe('succeeded');
    expect(gatesOf(ended.runId)).toEqual([
      {
        environment: 'prod',
        state: 'approved',
        by: 'app',
        comment: `Approved in Discord by bob (ChatOps deployment ${ended.id}, requested by alice).`,
      },
    ]);
    // Someone runs the deploy workflow from GitHub's UI: the rule refuses it.
    const stray = await repository.dispatchWorkflow({
      workflow: 'deploy.yml',
      ref: 'main',
      requestId: 'not-from-chatops',
      inputs: { service: 'api', environment: 'prod', ref: 'main', request_id: 'not-from-chatops' },
    });
    for (let i = 0; i < 300 && github.run(stray.runId)?.status !== 'completed'; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(github.run(stray.runId)?.conclusion).toBe('failure');
    expect(gatesOf(stray.runId)[0]).toMatchObject({ state: 'rejected', by: 'app' });
    const [refused] = await repos.audit.list({ action: 'github.protection-rule', limit: 1 });
    expect(refused).toMatchObject({ outcome: 'rejected', detail: { runId: stray.runId } });
  });

  it('leaves GitHub to its own reviewers where the catalog says none', async () => {
    const { service, poller } = await setUp('none');
    const requested = await prodDeploy(service);
    await service.approve(requested.deployment.id, bob);
    for (let i = 0; i < 60; i++) {
      await poller.tick();
      await new Promise((r) => setTimeout(r, 10));
    }
    const waiting = await repos.deployments.get(requested.deployment.id);
    expect(waiting?.status).toBe('running');
    expect(gatesOf(waiting?.runId ?? null)).toEqual([{ environment: 'prod', state: 'waiting' }]);
    expect(github.countRequests(/pending_deployments$/)).toBe(0);
    await service.cancel(requested.deployment.id, alice);
  });
});
