import type { Repositories } from '@chatops/persistence';
import { useInMemoryRepositories } from './fixtures';
import type { WorkflowRunEvent } from '@chatops/github';
import { DeploymentTracker } from '../src/deployment-tracker';

let tracker: DeploymentTracker;
let finished: string[];

const current = useInMemoryRepositories();
let repos: Repositories;

beforeEach(() => {
  repos = current();
  finished = [];
  tracker = new DeploymentTracker(repos, {
    onFinished: (d, status) => finished.push(`${d.kind} ${d.service} ${d.environment} ${status}`),
  });
});

function runEvent(status: string, conclusion: string | null = null, id = 42): WorkflowRunEvent {
  return {
    action: status === 'completed' ? 'completed' : 'in_progress',
    workflow_run: {
      id,
      status,
      conclusion,
      html_url: `https://github.com/acme/chatops/actions/runs/${id}`,
      head_sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    },
    repository: { full_name: 'acme/chatops' },
  };
}

/** A deployment that was dispatched as run 42 and holds the api/staging lock. */
async function dispatched() {
  const { deployment } = await repos.deployments.create({
    requestId: 'req-1',
    kind: 'deploy',
    service: 'api',
    environment: 'staging',
    ref: 'main',
    status: 'queued',
    requestedBy: { id: '1', name: 'alice' },
  });
  await repos.locks.acquire({
    environment: 'staging',
    service: 'api',
    holderId: deployment.requestId,
    holderName: 'alice',
    reason: 'deploy',
    ttlMs: 60_000,
  });
  return repos.deployments.transition(deployment.id, 'dispatched', { runId: '42' });
}

describe('DeploymentTracker', () => {
  it('follows a run to success, releases the lock and audits the end', async () => {
    const deployment = await dispatched();
    expect(await tracker.applyWorkflowRun(runEvent('in_progress'))).toMatchObject({
      applied: true,
      deployment: { status: 'running' },
    });
    const done = await tracker.applyWorkflowRun(runEvent('completed', 'success'));
    expect(done).toMatchObject({
      applied: true,
      deployment: {
        status: 'succeeded',
        runUrl: 'https://github.com/acme/chatops/actions/runs/42',
        // What it produced: the commit, and the image deploy.yml tags with it.
        headSha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
        imageTag: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      },
    });
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
    const [audited] = await repos.audit.list();
    expect(audited).toMatchObject({
      actor: { id: 'system:github' },
      action: 'deploy',
      outcome: 'succeeded',
      service: 'api',
      environment: 'staging',
      source: 'github:run/42',
      detail: {
        deploymentId: deployment.id,
        status: 'succeeded',
        ref: 'main',
        headSha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      },
    });
    expect(finished).toEqual(['deploy api staging succeeded']);
  });

  it.each([
    ['failure', 'failed'],
    ['cancelled', 'cancelled'],
    ['timed_out', 'timed_out'],
  ])('ends a %s run as %s and releases the lock', async (conclusion, status) => {
    await dispatched();
    expect(await tracker.applyWorkflowRun(runEvent('completed', conclusion))).toMatchObject({
      deployment: { status },
    });
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
    // Nobody here asked for the cancel (it was cancelled on GitHub): GitHub is the actor.
    expect((await repos.audit.list())[0]).toMatchObject({
      actor: { id: 'system:github' },
      outcome: status === 'cancelled' ? 'cancelled' : 'failed',
    });
  });

  it('keeps jobs and steps from workflow_job events, never reverting a finished job', async () => {
    const deployment = await dispatched();
    const job = (status: string, conclusion: string | null) => ({
      action: status,
      workflow_job: {
        id: 7,
        run_id: 42,
        name: 'build',
        status,
        conclusion,
        html_url: 'https://github.com/acme/chatops/actions/runs/42/job/7',
        steps: [{ number: 1, name: 'Check out', status, conclusion }],
      },
      repository: { full_name: 'acme/chatops' },
    });
    // A job starting means the run is running, whichever webhook comes first.
    expect(await tracker.applyWorkflowJob(job('in_progress', null))).toMatchObject({
      applied: true,
      deployment: { status: 'running' },
    });
    await tracker.applyWorkflowJob(job('completed', 'success'));
    expect(await tracker.applyWorkflowJob(job('in_progress', null))).toEqual({
      applied: false,
      reason: 'no-change',
    });
    const stored = await repos.deployments.get(deployment.id);
    expect(stored?.progress).toEqual([
      expect.objectContaining({
        name: 'build',
        status: 'completed',
        conclusion: 'success',
        steps: [expect.objectContaining({ name: 'Check out', conclusion: 'success' })],
      }),
    ]);
    expect(stored?.lastWebhookAt).not.toBeNull();
  });

  it('links a run whose webhook beat the dispatch answer by the request id in its run-name', async () => {
    const { deployment } = await repos.deployments.create({
      requestId: 'req-early',
      kind: 'deploy',
      service: 'api',
      environment: 'staging',
      ref: 'main',
      status: 'queued',
      requestedBy: { id: '1', name: 'alice' },
    });
    const event = runEvent('in_progress', null, 77);
    event.workflow_run.display_title = 'Deploy api to staging @ main [req-early]';
    expect(await tracker.applyWorkflowRun(event)).toMatchObject({
      applied: true,
      deployment: { id: deployment.id, status: 'running', runId: '77' },
    });
  });

  it('changes nothing for a repeated, late or unknown event', async () => {
    await dispatched();
    await tracker.applyWorkflowRun(runEvent('completed', 'success'));
    expect(await tracker.applyWorkflowRun(runEvent('completed', 'success'))).toEqual({
      applied: false,
      reason: 'no-change',
    });
    expect(await tracker.applyWorkflowRun(runEvent('in_progress'))).toEqual({
      applied: false,
      reason: 'out-of-order',
    });
    expect(await tracker.applyWorkflowRun(runEvent('queued'))).toEqual({
      applied: false,
      reason: 'no-change',
    });
    expect(await tracker.applyWorkflowRun(runEvent('completed', 'success', 99))).toEqual({
      applied: false,
      reason: 'unknown-run',
    });
    expect(await repos.audit.list()).toHaveLength(1);
  });
});
