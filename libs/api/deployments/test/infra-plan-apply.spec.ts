import { GithubSimulator, planSummaryOf } from '@chatops/github-sim';
import type { Repositories } from '@chatops/persistence';
import {
  catalog,
  githubRepositoryFor,
  member,
  pollToEnd,
  RecordingNotifier,
  refusal,
  useGithubStandIn,
  useInMemoryRepositories,
} from './fixtures';
import { DeploymentPoller } from '../src/deployment-poller';
import { DeploymentTracker } from '../src/deployment-tracker';
import { DeploymentService } from '../src/deployment.service';
import { workflowOutputsFrom } from '../src/workflow-outputs';

const currentRepos = useInMemoryRepositories();
const currentGithub = useGithubStandIn();
let repos: Repositories;
let github: GithubSimulator;
let service: DeploymentService;
let tracker: DeploymentTracker;
let seq = 0;

const sre = member('300', 'carol', 'sre');
const approver = member('200', 'bob', 'approver', 'sre');

beforeEach(() => {
  repos = currentRepos();
  github = currentGithub();
  const notifier = new RecordingNotifier();
  const repository = githubRepositoryFor(github);
  service = new DeploymentService(catalog, repos, repository, notifier);
  tracker = new DeploymentTracker(repos, { notifier, outputsOf: workflowOutputsFrom(repository) });
});

const infra = (action: 'plan' | 'apply' | 'destroy', environment = 'staging', who = sre) =>
  service.request({
    requestId: `req-${++seq}`,
    kind: `infra-${action}`,
    environment,
    ...(action === 'destroy' ? { confirmation: environment } : {}),
    ...who,
  });

function followToEnd(deploymentId: string) {
  const poller = new DeploymentPoller(repos, githubRepositoryFor(github), tracker, {
    intervalMs: 10,
    webhookGraceMs: 0,
  });
  return pollToEnd(repos, poller, deploymentId, 450);
}

describe('/infra plan, then /infra apply of exactly that plan', () => {
  it('ends a plan with its summary; the apply shows it, applies that run’s plan, and only once', async () => {
    const planned = await infra('plan');
    const plan = await followToEnd(planned.deployment.id);
    expect(plan.status).toBe('succeeded');
    expect(plan.outputs).toEqual({
      plan: planSummaryOf({ action: 'plan', environment: 'staging' }),
    });
    // Only the plan job ran: nobody was asked to approve anything yet.
    expect(github.run(plan.runId as string)?.conclusion).toBe('success');

    const applied = await infra('apply');
    expect(applied.outcome).toBe('dispatched');
    expect(applied.deployment.inputs).toMatchObject({ action: 'apply', plan_run_id: plan.runId });
    expect(applied.deployment.reviewedPlan).toMatchObject({
      deploymentId: plan.id,
      runId: plan.runId,
      plannedBy: 'carol',
      summary: plan.outputs?.plan,
    });
    expect((await followToEnd(applied.deployment.id)).status).toBe('succeeded');

    // The state moved on: the same plan again is stale, refused before anything runs.
    const stale = await refusal(infra('apply'));
    expect(stale).toMatchObject({ reason: 'conflict' });
    expect(stale.message).toMatch(
      /^the plan of staging from <t:\d+:R> is stale: carol's terraform apply <t:\d+:R> changed the state since; run `\/infra plan staging` again$/,
    );
    const [audit] = await repos.audit.list({ action: 'infra-apply', limit: 1 });
    expect(audit).toMatchObject({ outcome: 'rejected' });
  });

  it('on an approval environment: the approval shows the plan, and Terraform refuses it once stale', async () => {
    const plan = await followToEnd((await infra('plan', 'prod')).deployment.id);
    const first = await infra('apply', 'prod');
    const second = await infra('apply', 'prod');
    expect(first.outcome).toBe('pending_approval');
    expect(first.deployment.reviewedPlan?.runId).toBe(plan.runId);
    expect(second.deployment.reviewedPlan?.runId).toBe(plan.runId);
    await service.approve(first.deployment.id, approver);
    expect((await followToEnd(first.deployment.id)).status).toBe('succeeded');
    // Approved after the first applied: the stand-in's Terraform refuses the stale plan.
    await service.approve(second.deployment.id, approver);
    const refused = await followToEnd(second.deployment.id);
    expect(refused.status).toBe('failed');
    expect(refused.progress.find((j) => j.name === 'apply')?.steps).toContainEqual(
      expect.objectContaining({ name: 'Apply', conclusion: 'failure' }),
    );
  });

  it('refuses an apply with no plan, or one GitHub no longer keeps, saying what to do', async () => {
    expect((await refusal(infra('apply'))).message).toBe(
      'there is no plan of staging to apply: run `/infra plan staging`, read it, then apply',
    );
    await followToEnd((await infra('plan')).deployment.id);
    github.artifactsExpired = true;
    expect((await refusal(infra('apply'))).message).toMatch(
      /^the plan of staging from <t:\d+:R> is no longer kept by GitHub \(run \d+\); run `\/infra plan staging` again$/,
    );
    // Nothing was dispatched for either.
    expect(github.listRuns().filter((r) => r.display_title?.startsWith('Terraform apply'))).toEqual(
      [],
    );
  });

  it('plans and applies a destroy in one run, with two approvers', async () => {
    const destroy = await infra('destroy');
    expect(destroy.outcome).toBe('pending_approval');
    await service.approve(destroy.deployment.id, approver);
    await service.approve(destroy.deployment.id, member('500', 'erin', 'sre'));
    const ended = await followToEnd(destroy.deployment.id);
    expect(ended.status).toBe('succeeded');
    expect(ended.outputs?.plan).toMatchObject({ destroy: 3, add: 0 });
  });
});
