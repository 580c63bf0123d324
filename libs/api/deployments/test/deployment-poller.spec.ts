import type { GithubRepository } from '@chatops/github';
import type { Repositories } from '@chatops/persistence';
import {
  catalog,
  githubRepositoryFor,
  member,
  RecordingNotifier,
  useGithubStandIn,
  useInMemoryRepositories,
} from './fixtures';
import { DeploymentPoller } from '../src/deployment-poller';
import { DeploymentTracker } from '../src/deployment-tracker';
import { DeploymentService } from '../src/deployment.service';

const currentRepos = useInMemoryRepositories();
const currentGithub = useGithubStandIn();
let repos: Repositories;
let service: DeploymentService;
let poller: DeploymentPoller;

const INTERVAL_MS = 250;

beforeEach(() => {
  repos = currentRepos();
  const github = githubRepositoryFor(currentGithub());
  const notifier = new RecordingNotifier();
  service = new DeploymentService(catalog, repos, github, notifier);
  poller = new DeploymentPoller(repos, github, new DeploymentTracker(repos, { notifier }), {
    intervalMs: INTERVAL_MS,
    webhookGraceMs: 0,
  });
  currentGithub().timing = { queuedMs: 100, stepMs: 80 };
});

async function request() {
  const { deployment } = await service.request({
    requestId: `req-${Math.random()}`,
    kind: 'deploy',
    service: 'api',
    environment: 'staging',
    ref: 'main',
    ...member('1', 'alice', 'deployer'),
  });
  return deployment;
}

const tracking = /^GET .*\/actions\/runs\/\d+(\/jobs)?$/;

describe('DeploymentPoller', () => {
  it('leaves SSM commands to the FleetPoller: no GitHub request for a redeploy in flight', async () => {
    const { deployment } = await repos.deployments.create({
      requestId: 'ssm-1',
      kind: 'redeploy',
      service: 'api',
      environment: 'staging',
      ref: 'v2',
      version: 'v2',
      status: 'queued',
      requestedBy: { id: '1', name: 'alice' },
    });
    await repos.deployments.transition(deployment.id, 'dispatched', {
      runId: '5f0c1e2d-aaaa-bbbb-cccc-123456789012',
    });
    const before = currentGithub().countRequests(/./);
    expect(await poller.tick(Date.now() + 60_000)).toBe(0);
    expect(currentGithub().countRequests(/./)).toBe(before);
  });

  it('follows a run without webhooks at no more than one GitHub request per interval', async () => {
    const deployment = await request();
    const started = Date.now();
    let status = deployment.status;
    while (!['succeeded', 'failed'].includes(status) && Date.now() - started < 10_000) {
      await poller.tick();
      await new Promise((r) => setTimeout(r, 20));
      status = (await repos.deployments.get(deployment.id))?.status ?? status;
    }
    const elapsed = Date.now() - started;
    expect(status).toBe('succeeded');
    const requests = currentGithub().countRequests(tracking, started);
    expect(requests).toBeGreaterThan(1);
    expect(requests).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL_MS) + 1);
    const ended = await repos.deployments.get(deployment.id);
    expect(ended?.progress.map((j) => j.conclusion)).toEqual(['success', 'success']);
  });

  it('reads the jobs again after a look at a run still going: a later job’s end is not missed', async () => {
    const deployment = await request();
    await repos.deployments.transition(deployment.id, 'running', {}, 'dispatched');
    const job = (name: string, conclusion: string | null) => ({
      id: name,
      name,
      status: conclusion ? 'completed' : 'in_progress',
      conclusion,
      startedAt: null,
      completedAt: null,
      htmlUrl: null,
      steps: [],
    });
    // GitHub as the poller sees it: build ends, rollout starts and fails, the run ends.
    const run = (status: string, conclusion: string | null) => ({
      id: deployment.runId as string,
      status,
      conclusion,
      htmlUrl: deployment.runUrl as string,
      displayTitle: null,
    });
    // The world moves on (rollout fails, the run ends) once the poller has seen build done and
    // then looked at the run: exactly the moment a poller that only reads the run would miss it.
    let ended = false;
    let sawBuildDone = false;
    const scripted = {
      getRun: async () => {
        if (ended) return run('completed', 'failure');
        if (sawBuildDone) ended = true;
        return run('in_progress', null);
      },
      listJobs: async () => {
        if (ended) return [job('build', 'success'), job('rollout', 'failure')];
        sawBuildDone = true;
        return [job('build', 'success')];
      },
    } as unknown as GithubRepository;
    const scriptedPoller = new DeploymentPoller(repos, scripted, new DeploymentTracker(repos), {
      intervalMs: 10,
      webhookGraceMs: 0,
    });
    for (let i = 0; i < 12; i++) {
      await scriptedPoller.tick();
      await new Promise((r) => setTimeout(r, 15));
    }
    const result = await repos.deployments.get(deployment.id);
    expect(result?.status).toBe('failed');
    expect(result?.progress.map((j) => [j.name, j.conclusion])).toEqual([
      ['build', 'success'],
      ['rollout', 'failure'],
    ]);
  });

  it('spends no GitHub requests on runs whose webhooks arrive', async () => {
    const deployment = await request();
    await repos.deployments.update(deployment.id, { lastWebhookAt: Date.now() });
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      expect(await poller.tick()).toBe(0);
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(currentGithub().countRequests(tracking, started)).toBe(0);
  });

  it('waits for webhooks for a grace period before polling', async () => {
    const patient = new DeploymentPoller(
      repos,
      githubRepositoryFor(currentGithub()),
      new DeploymentTracker(repos),
      {
        intervalMs: INTERVAL_MS,
        webhookGraceMs: 60_000,
      },
    );
    await request();
    expect(await patient.tick()).toBe(0);
    expect(await patient.tick(Date.now() + 61_000)).toBe(1);
  });

  it('after a restart, looks once at a run whose last webhook came before it (an end sent while no API listened)', async () => {
    const deployment = await request();
    await repos.deployments.update(deployment.id, { lastWebhookAt: Date.now() - 1000 });
    const restarted = new DeploymentPoller(
      repos,
      githubRepositoryFor(currentGithub()),
      new DeploymentTracker(repos),
      { intervalMs: INTERVAL_MS, webhookGraceMs: 60_000 },
    );
    const started = Date.now();
    expect(await restarted.tick()).toBe(1);
    // Once: from then on webhooks are trusted again until they go quiet.
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 50));
    expect(await restarted.tick()).toBe(0);
    expect(currentGithub().countRequests(tracking, started)).toBe(1);
  });
});
