import type { Repositories } from '@chatops/persistence';
import { useInMemoryRepositories } from '../test/fixtures';
import type { WorkflowRunEvent } from '@chatops/github';
import { DeploymentTracker } from './deployment-tracker';

let tracker: DeploymentTracker;

const current = useInMemoryRepositories();
let repos: Repositories;

beforeEach(() => {
  repos = current();
  tracker = new DeploymentTracker(repos);
});

function runEvent(status: string, conclusion: string | null = null, id = 42): WorkflowRunEvent {
  return {
    action: status === 'completed' ? 'completed' : 'in_progress',
    workflow_run: {
      id,
      status,
      conclusion,
      html_url: `https://github.com/acme/chatops/actions/runs/${id}`,
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
    holderId: deployment.id,
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
      detail: { deploymentId: deployment.id, status: 'succeeded' },
    });
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
    expect((await repos.audit.list())[0]?.outcome).toBe('failed');
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
