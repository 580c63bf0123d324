import { OctokitGithubRepository } from '@chatops/github';
import { amiIdOf, shaOf } from '@chatops/github-sim';
import type { Repositories } from '@chatops/persistence';
import {
  catalog,
  githubRepositoryFor,
  member,
  pollToEnd,
  RecordingNotifier,
  useGithubStandIn,
  useInMemoryRepositories,
  refusal,
} from './fixtures';
import { DeploymentPoller } from '../src/deployment-poller';
import { DeploymentTracker } from '../src/deployment-tracker';
import { DeploymentService } from '../src/deployment.service';
import { workflowOutputsFrom } from '../src/workflow-outputs';

const currentRepos = useInMemoryRepositories();
const currentGithub = useGithubStandIn();
let repos: Repositories;
let notifier: RecordingNotifier;
let service: DeploymentService;
let tracker: DeploymentTracker;
let seq = 0;

beforeEach(() => {
  repos = currentRepos();
  notifier = new RecordingNotifier();
  service = new DeploymentService(catalog, repos, githubRepositoryFor(currentGithub()), notifier);
  tracker = new DeploymentTracker(repos, { notifier });
});

const alice = member('100', 'alice', 'deployer');
const bob = member('200', 'bob', 'approver');
const carol = member('300', 'carol', 'approver', 'sre');

function deploy(overrides: Record<string, unknown> = {}, who = alice) {
  return service.request({
    requestId: `req-${++seq}`,
    kind: 'deploy',
    service: 'api',
    environment: 'staging',
    ref: 'main',
    channelId: '444',
    source: 'discord:test',
    ...who,
    ...overrides,
  });
}

/** Follows a run to its end the way the poller does when no webhooks arrive. */
function followToEnd(deploymentId: string) {
  const poller = new DeploymentPoller(repos, githubRepositoryFor(currentGithub()), tracker, {
    intervalMs: 10,
    webhookGraceMs: 0,
  });
  return pollToEnd(repos, poller, deploymentId, 450);
}

describe('DeploymentService', () => {
  it('dispatches a staging deploy, knows its run, holds the lock and audits the request', async () => {
    const result = await deploy();
    expect(result.outcome).toBe('dispatched');
    const { deployment } = result;
    expect(deployment).toMatchObject({
      status: 'dispatched',
      service: 'api',
      environment: 'staging',
    });
    const run = currentGithub().run(deployment.runId as string);
    // Pinned to the commit `main` named when it was asked for: what the message shows is built.
    expect(run?.display_title).toBe(
      `Deploy api to staging @ ${shaOf('main')} [${deployment.requestId}]`,
    );
    expect(run?.head_branch).toBe('main');
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toMatchObject({
      holderId: deployment.requestId,
      holderName: 'alice',
    });
    expect((await repos.audit.list())[0]).toMatchObject({
      actor: { name: 'alice' },
      action: 'deploy',
      outcome: 'requested',
      source: `github:run/${deployment.runId}`,
    });
    expect(notifier.changes).toContain(deployment.id);

    const ended = await followToEnd(deployment.id);
    expect(ended.status).toBe('succeeded');
    expect(ended.progress.map((j) => [j.name, j.conclusion])).toEqual([
      ['build', 'success'],
      ['rollout', 'success'],
    ]);
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
  });

  it.each([
    'main;reboot',
    '$(id)',
    '`id`',
    'main && curl x',
    'a'.repeat(300),
    'mаin', // Cyrillic "а"
    'ｍａｉｎ', // full-width
    '-main',
    'main\u200b',
    '../main',
  ])('refuses the hostile ref %j without calling GitHub, and audits it', async (ref) => {
    const error = await refusal(deploy({ ref }));
    expect(error).toMatchObject({ reason: 'invalid' });
    expect(error.message).toMatch(/^invalid ref: /);
    expect(currentGithub().requests).toEqual([]);
    expect(await repos.deployments.listRecent()).toEqual([]);
    expect((await repos.audit.list())[0]).toMatchObject({ outcome: 'rejected', action: 'deploy' });
  });

  it('lists every problem with an unknown service and environment', async () => {
    const error = await refusal(deploy({ service: 'nope', environment: 'qa' }));
    expect(error.problems).toEqual([
      'unknown environment `qa` (known: staging, prod)',
      'unknown service `nope` (known: api, bot)',
    ]);
    expect(currentGithub().requests).toEqual([]);
  });

  it('refuses a ref that does not exist in the repository, dispatching nothing', async () => {
    const error = await refusal(deploy({ ref: 'feature/gone' }));
    expect(error).toMatchObject({ reason: 'not-possible' });
    expect(error.message).toBe('ref `feature/gone` does not exist in acme/chatops');
    expect(currentGithub().countRequests(/dispatches/)).toBe(0);
    expect(await repos.locks.listActive()).toEqual([]);
  });

  it('refuses a member without the permission and audits the refusal', async () => {
    const error = await refusal(deploy({}, member('9', 'mallory', 'approver')));
    expect(error).toMatchObject({ reason: 'denied' });
    expect(currentGithub().requests).toEqual([]);
    expect((await repos.audit.list())[0]).toMatchObject({
      outcome: 'denied',
      actor: { name: 'mallory' },
    });
  });

  it('is idempotent by request id', async () => {
    const first = await deploy({ requestId: 'same' });
    const again = await deploy({ requestId: 'same' });
    expect(again).toEqual({ outcome: 'existing', deployment: first.deployment });
    expect(currentGithub().countRequests(/dispatches/)).toBe(1);
  });

  it('tells a second deployer who holds the environment, since when, with a link', async () => {
    const first = await deploy();
    const error = await refusal(deploy({}, member('400', 'dave', 'deployer')));
    expect(error).toMatchObject({ reason: 'locked' });
    expect(error.message).toMatch(
      new RegExp(
        `^api on staging is locked by alice's deploy since <t:\\d+:R> \\(run: https://github.com/acme/chatops/actions/runs/${first.deployment.runId}\\)`,
      ),
    );
    expect(currentGithub().countRequests(/dispatches/)).toBe(1);
    // Another service in the same environment is not blocked.
    expect((await deploy({ service: 'bot' })).outcome).toBe('dispatched');
  });

  it('releases the lock and records the failure when GitHub fails the dispatch', async () => {
    currentGithub().failNextRequests(1, 502, /dispatches$/);
    const error = await refusal(deploy({ requestId: 'req-fail' }));
    expect(error).toMatchObject({ reason: 'github' });
    expect(error.message).toMatch(/GitHub failed when trying to dispatch the workflow \(502/);
    expect(await repos.locks.listActive()).toEqual([]);
    expect(await repos.deployments.findByRequestId('req-fail')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/502/),
    });
    expect((await repos.audit.list())[0]).toMatchObject({ outcome: 'failed' });
    // The environment is free again.
    expect((await deploy()).outcome).toBe('dispatched');
  });

  it('says GitHub is unreachable without leaving a lock behind', async () => {
    const unreachable = new DeploymentService(
      catalog,
      repos,
      new OctokitGithubRepository({
        owner: 'acme',
        repo: 'chatops',
        auth: { kind: 'token', token: 'x' },
        baseUrl: 'http://127.0.0.1:9',
        retries: 0,
      }),
      notifier,
    );
    const error = await refusal(
      unreachable.request({
        requestId: 'req-down',
        kind: 'deploy',
        service: 'api',
        environment: 'staging',
        ref: 'main',
        ...alice,
      }),
    );
    expect(error).toMatchObject({ reason: 'github' });
    expect(error.message).toMatch(/^GitHub could not be reached to check the ref/);
    expect(await repos.locks.listActive()).toEqual([]);
    expect((await repos.audit.list())[0]).toMatchObject({ outcome: 'failed' });
  });

  describe('approvals', () => {
    it('gates prod behind someone else with the approver permission', async () => {
      const requested = await deploy(
        { environment: 'prod' },
        member('100', 'alice', 'deployer', 'approver'),
      );
      expect(requested.outcome).toBe('pending_approval');
      const id = requested.deployment.id;
      expect(requested.deployment.expiresAt).toBeGreaterThan(Date.now() + 29 * 60_000);
      expect(currentGithub().countRequests(/dispatches/)).toBe(0);
      expect(await repos.locks.listActive()).toEqual([]);

      const self = await refusal(
        service.approve(id, member('100', 'alice', 'deployer', 'approver')),
      );
      expect(self.message).toBe('you cannot approve your own request: another approver has to');
      const noRole = await refusal(service.approve(id, member('400', 'dave', 'deployer')));
      expect(noRole).toMatchObject({ reason: 'denied' });
      expect(noRole.message).toBe('you need the `approve` permission on `prod`');

      const approved = await service.approve(id, bob);
      expect(approved.outcome).toBe('dispatched');
      expect(approved.deployment).toMatchObject({ status: 'dispatched', approvedById: '200' });
      expect(await repos.locks.get({ environment: 'prod', service: 'api' })).not.toBeNull();
      const again = await refusal(service.approve(id, carol));
      expect(again).toMatchObject({ reason: 'conflict' });
      // The dispatch is the requester's, released by the approver: both named.
      const dispatchedEntry = (await repos.audit.list()).find(
        (e) =>
          e.action === 'deploy' && e.outcome === 'requested' && e.source?.startsWith('github:run/'),
      );
      expect(dispatchedEntry).toMatchObject({
        actor: { id: '100', name: 'alice' },
        detail: { approvedBy: { id: '200', name: 'bob' } },
      });
      const actions = (await repos.audit.list()).map((e) => `${e.action}:${e.outcome}`);
      expect(actions).toEqual(
        expect.arrayContaining([
          'deploy:requested',
          'deploy.approve:denied',
          'deploy.approve:succeeded',
        ]),
      );
    });

    it('expires a request nobody approved in time and says so', async () => {
      const { deployment } = await deploy({ environment: 'prod' });
      const later = Date.now() + 31 * 60_000;
      const now = jest.spyOn(Date, 'now').mockReturnValue(later);
      try {
        const error = await refusal(service.approve(deployment.id, bob));
        expect(error).toMatchObject({ reason: 'expired' });
        expect(error.message).toBe('this approval request has expired; ask for a new deploy');
      } finally {
        now.mockRestore();
      }
      expect((await repos.deployments.get(deployment.id))?.status).toBe('expired');
      expect(currentGithub().countRequests(/dispatches/)).toBe(0);
      // The expiry is the platform's; the late press is audited as refused, with why.
      const trail = (await repos.audit.list()).map((e) => [e.actor.name, e.action, e.outcome]);
      expect(trail.slice(0, 2)).toEqual([
        ['bob', 'deploy.approve', 'rejected'],
        ['ChatOps', 'deploy', 'failed'],
      ]);
      expect((await repos.audit.list())[0]?.detail).toMatchObject({
        reason: 'the approval request had expired',
      });
      // A press on a deployment that does not exist (a forged button) is audited too.
      const forged = '0f8fad5b-d9cb-469f-a165-70867728950e';
      await expect(service.approve(forged, bob)).rejects.toThrow('no such deployment');
      await expect(service.cancel(forged, bob)).rejects.toThrow('no such deployment');
      expect((await repos.audit.list()).slice(0, 2).map((e) => [e.action, e.detail])).toEqual([
        ['deployment.cancel', { deploymentId: forged, reason: 'no such deployment' }],
        ['deployment.approve', { deploymentId: forged, reason: 'no such deployment' }],
      ]);
    });

    it('lets an approver reject', async () => {
      const { deployment } = await deploy({ environment: 'prod' });
      expect(await service.reject(deployment.id, bob)).toMatchObject({
        status: 'rejected',
        error: 'rejected by bob',
      });
      expect(currentGithub().countRequests(/dispatches/)).toBe(0);
    });

    it('needs two distinct approvers and the typed environment name to destroy', async () => {
      const destroy = (confirmation: string) =>
        service.request({
          requestId: `req-${++seq}`,
          kind: 'infra-destroy',
          environment: 'staging',
          confirmation,
          ...member('500', 'erin', 'sre'),
        });
      const wrong = await refusal(destroy('stagin'));
      expect(wrong.message).toBe(
        'to destroy `staging`, type the environment name exactly in the confirmation',
      );
      const { deployment, outcome } = await destroy('staging');
      expect(outcome).toBe('pending_approval');
      expect(deployment).toMatchObject({
        service: 'infra',
        approvalsRequired: 2,
        workflow: 'infra.yml',
      });
      const sreAlice = member('100', 'alice', 'sre');
      expect(await service.approve(deployment.id, sreAlice)).toMatchObject({
        outcome: 'approved',
        remaining: 1,
      });
      // Pressing again (or a retry of the same press) is a copy: nothing is recorded twice.
      const audited = (await repos.audit.list()).length;
      expect(await service.approve(deployment.id, sreAlice)).toMatchObject({
        outcome: 'existing',
        deployment: { id: deployment.id, status: 'pending_approval' },
      });
      expect(await repos.approvals.list(deployment.id)).toHaveLength(1);
      expect((await repos.audit.list()).length).toBe(audited);
      const done = await service.approve(deployment.id, carol);
      expect(done.outcome).toBe('dispatched');
      const run = currentGithub().run(done.deployment.runId as string);
      expect(run?.display_title).toBe(`Terraform destroy staging [${deployment.requestId}]`);
    });
  });

  it('answers a copy of the approval that released the request as a copy, whenever it read', async () => {
    const { deployment } = await deploy({ environment: 'prod' });
    const first = await service.approve(deployment.id, bob);
    expect(first.outcome).toBe('dispatched');
    // The copy's first look at the approvals came before the first one was recorded (another
    // replica, the same moment); by its next read the request is queued.
    const list = repos.approvals.list.bind(repos.approvals);
    let reads = 0;
    repos.approvals.list = (id) => (++reads === 1 ? Promise.resolve([]) : list(id));
    const audited = (await repos.audit.list()).length;
    const copy = await service.approve(deployment.id, bob);
    expect(copy).toMatchObject({ outcome: 'existing', deployment: { id: deployment.id } });
    expect((await repos.audit.list()).length).toBe(audited);
    // Someone else pressing now is refused: it was decided.
    await expect(service.approve(deployment.id, carol)).rejects.toMatchObject({
      reason: 'conflict',
    });
  });

  it('records the AMI id a build announced, shows and audits it', async () => {
    const github = githubRepositoryFor(currentGithub());
    tracker = new DeploymentTracker(repos, { notifier, outputsOf: workflowOutputsFrom(github) });
    const sre = member('300', 'carol', 'sre');
    const { deployment } = await service.request({
      requestId: 'req-ami-id',
      kind: 'ami-build',
      ...sre,
    });
    const ended = await followToEnd(deployment.id);
    expect(ended.status).toBe('succeeded');
    expect(ended.outputs).toEqual({ amiId: amiIdOf(Number(deployment.runId)) });
    const [audit] = await repos.audit.list({ action: 'ami-build', limit: 1 });
    expect(audit).toMatchObject({ outcome: 'succeeded', detail: { amiId: ended.outputs?.amiId } });
    // A failed build announced nothing: no id.
    currentGithub().failNext({ job: 'packer', step: 'Build' });
    const failed = await service.request({ requestId: 'req-ami-fail', kind: 'ami-build', ...sre });
    expect((await followToEnd(failed.deployment.id)).outputs).toBeNull();
  });

  it('runs /infra plan and /ami build through the same machinery', async () => {
    const plan = await service.request({
      requestId: 'req-plan',
      kind: 'infra-plan',
      environment: 'prod',
      ...member('500', 'erin', 'sre'),
    });
    expect(plan.outcome).toBe('dispatched');
    const ami = await service.request({
      requestId: 'req-ami',
      kind: 'ami-build',
      ...member('500', 'erin', 'sre'),
    });
    expect(ami.deployment).toMatchObject({
      service: 'ami',
      environment: '*',
      status: 'dispatched',
    });
    expect(currentGithub().run(ami.deployment.runId as string)?.display_title).toBe(
      'Build AMI [req-ami]',
    );
    const denied = await refusal(
      service.request({ requestId: 'req-ami-2', kind: 'ami-build', ...alice }),
    );
    expect(denied.message).toBe('you need the `ami` permission');
  });

  it('dispatches exactly the stored plan; a request recorded before plans were stored is planned again', async () => {
    const { deployment } = await deploy({ environment: 'prod' });
    expect(deployment.inputs).toEqual({
      service: 'api',
      environment: 'prod',
      ref: shaOf('main'),
      request_id: deployment.requestId,
    });
    // As an older release recorded it: no inputs.
    const { deployment: older } = await repos.deployments.create({
      requestId: 'recorded-before-plans',
      kind: 'deploy',
      service: 'bot',
      environment: 'prod',
      ref: 'main',
      status: 'pending_approval',
      requestedBy: alice.actor,
      workflow: 'deploy.yml',
      approvalsRequired: 1,
      expiresAt: Date.now() + 60_000,
    });
    expect(older.inputs).toBeNull();
    const done = await service.approve(older.id, bob);
    expect(done.outcome).toBe('dispatched');
    expect(currentGithub().run(done.deployment.runId as string)?.display_title).toBe(
      'Deploy bot to prod @ main [recorded-before-plans]',
    );
  });

  it('cancels a request awaiting approval at once, audited as cancelled by whoever asked, once', async () => {
    const { deployment } = await deploy({ environment: 'prod' });
    const copies = await Promise.all([
      service.cancel(deployment.id, alice),
      service.cancel(deployment.id, alice),
      service.cancel(deployment.id, alice),
    ]);
    expect(copies.map((c) => c.outcome)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(await repos.deployments.get(deployment.id)).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by alice',
      cancelRequestedBy: { id: alice.actor.id, name: 'alice' },
    });
    const cancellations = (await repos.audit.list()).filter((e) => e.outcome === 'cancelled');
    expect(cancellations).toEqual([
      expect.objectContaining({ actor: alice.actor, action: 'deploy' }),
    ]);
    await expect(service.approve(deployment.id, bob)).rejects.toThrow(
      'this request is no longer awaiting approval (cancelled)',
    );
    expect(currentGithub().countRequests(/dispatches/)).toBe(0);
  });

  it('cancels the run a dispatch was starting when the cancel came, as soon as the run is known', async () => {
    let release: (run: { runId: string; runUrl: string }) => void = () => undefined;
    const cancelled: string[] = [];
    const slow = new DeploymentService(
      catalog,
      repos,
      githubRepositoryFor(currentGithub()),
      notifier,
      {
        workflows: {
          giveUpMs: 1000,
          start: () => new Promise((resolve) => (release = resolve)),
          cancel: async (runId) => {
            cancelled.push(runId);
          },
          findStarted: async () => null,
          abandon: async () => null,
        },
      },
    );
    const requested = slow.request({
      requestId: 'cancel-mid-dispatch',
      kind: 'deploy',
      service: 'api',
      environment: 'staging',
      ref: 'main',
      ...alice,
    });
    let queued = await repos.deployments.findByRequestId('cancel-mid-dispatch');
    for (let i = 0; i < 100 && queued?.status !== 'queued'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      queued = await repos.deployments.findByRequestId('cancel-mid-dispatch');
    }
    expect(queued?.status).toBe('queued');
    // Nothing to cancel yet: the request is recorded, and not ended behind the dispatch's back.
    expect((await slow.cancel(queued!.id, alice)).outcome).toBe('cancelling');
    expect((await repos.deployments.get(queued!.id))?.status).toBe('queued');
    release({ runId: '4242', runUrl: 'https://github.com/acme/chatops/actions/runs/4242' });
    expect((await requested).outcome).toBe('dispatched');
    expect(cancelled).toEqual(['4242']);
    const cancels = (await repos.audit.list()).filter((e) => e.action === 'deploy.cancel');
    expect(cancels.map((e) => [e.actor.name, e.outcome, e.detail['runId'] ?? null])).toEqual([
      ['alice', 'requested', '4242'],
      ['alice', 'requested', null],
    ]);
  });

  it('cancels a running deploy through GitHub; the run’s end releases the lock', async () => {
    currentGithub().timing.stepMs = 200;
    const { deployment } = await deploy();
    const asked = await service.cancel(deployment.id, alice);
    expect(asked.outcome).toBe('cancelling');
    const ended = await followToEnd(deployment.id);
    expect(ended.status).toBe('cancelled');
    expect(await repos.locks.listActive()).toEqual([]);
    expect(ended.error).toBe('cancelled by alice');
    // The end is audited as a cancellation, by the person who asked for it.
    expect((await repos.audit.list())[0]).toMatchObject({
      actor: alice.actor,
      action: 'deploy',
      outcome: 'cancelled',
      detail: { deploymentId: deployment.id, ref: 'main', runUrl: ended.runUrl },
    });
    // The same person asking again gets the same answer; anyone else is told who did it.
    expect(await service.cancel(deployment.id, alice)).toMatchObject({ outcome: 'cancelled' });
    await expect(service.cancel(deployment.id, carol)).rejects.toThrow(
      'it has already ended (cancelled by alice)',
    );
    expect(currentGithub().countRequests(/\/cancel$/)).toBe(1);
  });

  it('cancelling a run GitHub already finished records its end and frees the lease, instead of failing on the 409', async () => {
    // Webhooks lost (the API was down): GitHub finished the run, we still think it runs.
    currentGithub().webhooksEnabled = false;
    const withTracker = new DeploymentService(
      catalog,
      repos,
      githubRepositoryFor(currentGithub()),
      notifier,
      { tracker },
    );
    const { deployment } = await withTracker.request({
      requestId: 'finished-unseen',
      kind: 'deploy',
      service: 'api',
      environment: 'staging',
      ref: 'main',
      ...alice,
    });
    for (
      let i = 0;
      i < 200 && currentGithub().run(deployment.runId as string)?.status !== 'completed';
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
    expect((await repos.deployments.get(deployment.id))?.status).toBe('dispatched');

    const cancelled = await withTracker.cancel(deployment.id, alice);
    expect(cancelled.outcome).toBe('already_ended');
    expect(cancelled.deployment.status).toBe('succeeded');
    expect(await repos.locks.listActive()).toEqual([]);
    const audit = await repos.audit.list({ limit: 5 });
    expect(audit.map((e) => [e.action, e.outcome, e.actor.name])).toEqual(
      expect.arrayContaining([
        ['deploy.cancel', 'rejected', 'alice'],
        ['deploy', 'succeeded', 'GitHub Actions'],
      ]),
    );
    expect(audit.find((e) => e.action === 'deploy.cancel')?.detail).toMatchObject({
      reason: 'the run had already ended (succeeded)',
    });
  });

  it('refuses to list runs of a service or environment the catalog does not have', async () => {
    const unknown = await refusal(service.list({ service: 'nope' }));
    expect(unknown).toMatchObject({ reason: 'invalid' });
    expect(unknown.message).toBe('unknown service `nope` (services: api, bot)');
    const both = await refusal(service.list({ service: 'nope', environment: 'mars' }));
    expect(both.problems).toEqual([
      'unknown service `nope` (services: api, bot)',
      'unknown environment `mars` (environments: staging, prod)',
    ]);
    await expect(service.list({ service: 'api', environment: 'staging' })).resolves.toEqual([]);
  });

  it('reports a failed run with its failed step', async () => {
    currentGithub().failNext({ job: 'rollout', step: 'SSM redeploy' });
    const { deployment } = await deploy();
    const ended = await followToEnd(deployment.id);
    expect(ended.status).toBe('failed');
    const rollout = ended.progress.find((j) => j.name === 'rollout');
    expect(rollout?.steps.find((s) => s.conclusion === 'failure')?.name).toBe('SSM redeploy');
    expect(await repos.locks.listActive()).toEqual([]);
    expect((await repos.audit.list())[0]).toMatchObject({
      outcome: 'failed',
      actor: { id: 'system:github' },
    });
  });

  it('finds the run by its run-name on a server that rejects return_run_details', async () => {
    currentGithub().legacyDispatch = true;
    const { deployment } = await deploy();
    expect(deployment.status).toBe('dispatched');
    expect(currentGithub().run(deployment.runId as string)?.display_title).toContain(
      `[${deployment.requestId}]`,
    );
  });
});
