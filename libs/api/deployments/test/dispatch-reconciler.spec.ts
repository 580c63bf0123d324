import type { Repositories } from '@chatops/persistence';
import {
  catalog,
  fleetRepositoryFor,
  githubRepositoryFor,
  RecordingNotifier,
  useAwsStandIn,
  useGithubStandIn,
  useInMemoryRepositories,
} from './fixtures';
import { DeploymentTracker, lockKeyOf } from '../src/deployment-tracker';
import { DispatchReconciler } from '../src/dispatch-reconciler';
import { GithubWorkflowExecutor } from '../src/executor';
import { FleetExecutor } from '../src/fleet-executor';
import { FleetPoller } from '../src/fleet-poller';

const currentRepos = useInMemoryRepositories();
const currentGithub = useGithubStandIn();
const currentAws = useAwsStandIn();
let repos: Repositories;
let reconciler: DispatchReconciler;

const GRACE_MS = 1000;
const GIVE_UP_MS = 5000;

beforeEach(() => {
  repos = currentRepos();
  const notifier = new RecordingNotifier();
  const github = githubRepositoryFor(currentGithub());
  reconciler = new DispatchReconciler(
    repos,
    {
      workflows: new GithubWorkflowExecutor(github, {
        runListingDelayMs: GIVE_UP_MS - github.dispatchDeadlineMs,
      }),
      fleet: fleetExecutor(),
    },
    new DeploymentTracker(repos, { notifier }),
    { intervalMs: 10, graceMs: GRACE_MS },
  );
});

function fleetExecutor() {
  return new FleetExecutor(catalog, fleetRepositoryFor(currentAws()), {
    region: 'eu-west-1',
    giveUpMs: GIVE_UP_MS,
  });
}

/** What a crash after taking the lease leaves: the deployment queued, no run recorded. */
async function crashedBeforeRecordingTheRun(
  requestId: string,
  kind: 'deploy' | 'redeploy' | 'rollback' = 'deploy',
) {
  const { deployment } = await repos.deployments.create({
    requestId,
    kind,
    service: 'api',
    environment: 'staging',
    ref: 'main',
    status: 'queued',
    requestedBy: { id: '1', name: 'alice' },
    workflow: kind === 'deploy' ? 'deploy.yml' : null,
  });
  await repos.locks.acquire({
    ...lockKeyOf(deployment),
    holderId: requestId,
    holderName: 'alice',
    reason: kind,
    ttlMs: 30 * 60_000,
  });
  return deployment;
}

async function dispatchOnGithub(requestId: string) {
  const github = githubRepositoryFor(currentGithub());
  return github.dispatchWorkflow({
    workflow: 'deploy.yml',
    ref: 'main',
    inputs: { service: 'api', environment: 'staging', ref: 'main', request_id: requestId },
    requestId,
  });
}

describe('DispatchReconciler', () => {
  it('finds the run a crashed dispatch started, by the request id in its run-name, and tracks it', async () => {
    const deployment = await crashedBeforeRecordingTheRun('crash-after-dispatch');
    const run = await dispatchOnGithub('crash-after-dispatch');
    // Within the grace a dispatch in progress is left alone.
    expect(await reconciler.tick(deployment.updatedAt + GRACE_MS - 1)).toBe(0);
    expect(await reconciler.tick(deployment.updatedAt + GRACE_MS)).toBe(1);
    const tracked = await repos.deployments.get(deployment.id);
    expect(tracked).toMatchObject({
      runId: run.runId,
      status: expect.stringMatching(/dispatched|running/),
    });
    expect((await repos.locks.get(lockKeyOf(deployment)))?.holderId).toBe('crash-after-dispatch');
    // Tracked from here on by the poller and webhooks; the reconciler no longer follows it.
    expect(await reconciler.tick(deployment.updatedAt + GIVE_UP_MS * 2)).toBe(0);
    expect(currentGithub().countRequests(/dispatches$/)).toBe(1);
  });

  it('ends a deployment that was never dispatched, after the window, releasing its lease, and never dispatches', async () => {
    const deployment = await crashedBeforeRecordingTheRun('crash-before-dispatch');
    expect(await reconciler.tick(deployment.updatedAt + GRACE_MS)).toBe(1);
    expect((await repos.deployments.get(deployment.id))?.status).toBe('queued');
    expect(await reconciler.tick(deployment.updatedAt + GIVE_UP_MS)).toBe(1);
    const ended = await repos.deployments.get(deployment.id);
    expect(ended?.status).toBe('failed');
    expect(ended?.error).toMatch(
      /^never dispatched: no GitHub run named with request crash-before-dispatch 5 s after it was queued/,
    );
    expect(await repos.locks.get(lockKeyOf(deployment))).toBeNull();
    const audit = await repos.audit.list({ limit: 10 });
    expect(audit[0]).toMatchObject({
      actor: { id: 'system:chatops', name: 'ChatOps' },
      action: 'deploy',
      outcome: 'failed',
    });
    expect(currentGithub().countRequests(/dispatches$/)).toBe(0);
  });

  it('keeps looking while GitHub fails; a failed look decides nothing', async () => {
    const deployment = await crashedBeforeRecordingTheRun('github-down');
    currentGithub().failNextRequests(100, 502, /^GET .*\/runs$/);
    expect(await reconciler.tick(deployment.updatedAt + GIVE_UP_MS)).toBe(1);
    expect((await repos.deployments.get(deployment.id))?.status).toBe('queued');
  });

  it('finds the SSM command a crashed redeploy sent, by the deployment id in its comment, and follows it to its end', async () => {
    const deployment = await crashedBeforeRecordingTheRun('ssm-sent', 'redeploy');
    // Sent, its answer lost with the process that sent it.
    const sent = await fleetExecutor().start(deployment);
    const other = await crashedBeforeRecordingTheRun('ssm-other', 'rollback');
    expect(await reconciler.tick(other.updatedAt + GRACE_MS)).toBe(2);
    expect(await repos.deployments.get(deployment.id)).toMatchObject({
      status: 'dispatched',
      runId: sent.runId,
      runUrl: sent.runUrl,
    });
    // Followed from here by the fleet poller, to its end, which releases the lease.
    const poller = new FleetPoller(repos, fleetExecutor(), new DeploymentTracker(repos), {
      intervalMs: 10,
      maxIntervalMs: 10,
    });
    for (let i = 0; i < 300; i++) {
      if ((await repos.deployments.get(deployment.id))?.status === 'succeeded') break;
      await poller.tick();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await repos.deployments.get(deployment.id))?.status).toBe('succeeded');
    expect(await repos.locks.get(lockKeyOf(deployment))).toBeNull();
    // The other one sent nothing: ended after the window, and never sent.
    expect(await reconciler.tick(other.updatedAt + GIVE_UP_MS)).toBe(1);
    expect(await repos.deployments.get(other.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^never sent: no SSM command marked with this deployment 5 s/),
    });
    expect(currentAws().calls.filter((c) => c.action === 'SSM.SendCommand')).toHaveLength(1);
  });

  it('sets the desired version back when a crashed redeploy wrote it but sent no command', async () => {
    const { deployment } = await repos.deployments.create({
      requestId: 'ssm-half',
      kind: 'redeploy',
      service: 'bot',
      environment: 'staging',
      ref: 'v2.0.0',
      version: 'v2.0.0',
      fromVersion: 'v1',
      status: 'queued',
      requestedBy: { id: '1', name: 'alice' },
    });
    const fleet = fleetRepositoryFor(currentAws());
    const scope = { project: 'chatops', environment: 'staging' };
    await fleet.setDesiredVersion(scope, 'bot', 'v2.0.0');
    expect(await reconciler.tick(deployment.updatedAt + GIVE_UP_MS)).toBe(1);
    expect((await repos.deployments.get(deployment.id))?.error).toMatch(
      /^never sent: .*; the desired version was set back from v2\.0\.0 to v1$/,
    );
    expect((await fleet.versionHistory(scope, 'bot')).map((v) => v.value)).toEqual([
      'v1',
      'v2.0.0',
      'v1',
    ]);
    expect(currentAws().calls.filter((c) => c.action === 'SSM.SendCommand')).toHaveLength(0);
  });

  it('ends a crashed request someone asked to cancel as cancelled by them, once nothing can start', async () => {
    const deployment = await crashedBeforeRecordingTheRun('crash-then-cancel');
    await repos.deployments.claimCancel(deployment.id, { id: '7', name: 'carol' });
    expect(await reconciler.tick(deployment.updatedAt + GIVE_UP_MS)).toBe(1);
    expect(await repos.deployments.get(deployment.id)).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by carol before anything was started',
    });
    expect(await repos.locks.get(lockKeyOf(deployment))).toBeNull();
    expect((await repos.audit.list())[0]).toMatchObject({
      actor: { id: '7', name: 'carol' },
      outcome: 'cancelled',
    });
  });
});
