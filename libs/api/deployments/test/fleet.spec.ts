import { AwsSimulator } from '@chatops/aws-sim';
import type { Deployment, Repositories } from '@chatops/persistence';
import {
  catalog,
  fleetRepositoryFor,
  followFleetToEnd,
  member,
  RecordingNotifier,
  useAwsStandIn,
  useInMemoryRepositories,
  refusal,
} from './fixtures';
import { DeploymentTracker } from '../src/deployment-tracker';
import { DeploymentService } from '../src/deployment.service';
import { FleetExecutor, recordedBadVersions } from '../src/fleet-executor';
import { FleetPoller } from '../src/fleet-poller';
import { deployedBy, FleetStatusReader } from '../src/fleet-status-reader';

const currentRepos = useInMemoryRepositories();
const currentAws = useAwsStandIn();
let repos: Repositories;
let aws: AwsSimulator;
let notifier: RecordingNotifier;
let service: DeploymentService;
let fleet: FleetExecutor;
let seq = 0;

const alice = member('100', 'alice', 'deployer');
const bob = member('200', 'bob', 'approver');
const dave = member('400', 'dave', 'developer');

beforeEach(() => {
  repos = currentRepos();
  aws = currentAws();
  notifier = new RecordingNotifier();
  fleet = new FleetExecutor(catalog, fleetRepositoryFor(aws), {
    region: 'eu-west-1',
    badVersions: recordedBadVersions(repos),
  });
  // No GitHub at all: redeploys and rollbacks do not need it.
  service = new DeploymentService(catalog, repos, null, notifier, { fleet });
});

function request(
  kind: 'redeploy' | 'rollback',
  overrides: Record<string, unknown> = {},
  who = alice,
) {
  return service.request({
    requestId: `req-${++seq}`,
    kind,
    service: 'api',
    environment: 'staging',
    channelId: '444',
    source: 'discord:test',
    ...who,
    ...overrides,
  });
}

const followToEnd = (deploymentId: string): Promise<Deployment> =>
  followFleetToEnd(repos, fleet, notifier, deploymentId);

const running = (environment: string) => aws.hostsOf(environment).map((h) => h.running['api']);
const history = (environment = 'staging') =>
  aws.history(`/chatops/${environment}/api/image`).map((v) => v.value);

describe('/redeploy and /rollback through SSM', () => {
  it('restarts the current version on every host, one at a time, leaving the history alone', async () => {
    const result = await request('redeploy');
    expect(result.outcome).toBe('dispatched');
    const { deployment } = result;
    expect(deployment).toMatchObject({ status: 'dispatched', ref: 'v1', version: 'v1' });
    expect(deployment.runUrl).toBe(
      `https://eu-west-1.console.aws.amazon.com/systems-manager/run-command/${deployment.runId}?region=eu-west-1`,
    );
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toMatchObject({
      holderName: 'alice',
    });
    const ended = await followToEnd(deployment.id);
    expect(ended.status).toBe('succeeded');
    expect(ended.progress.map((j) => [j.id, j.detail, j.conclusion])).toEqual(
      aws.hostsOf('staging').map((h) => [h.id, 'Success', 'success']),
    );
    expect(ended.progress.every((j) => j.startedAt && j.completedAt)).toBe(true);
    expect(history()).toEqual(['v1']);
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
    const audit = await repos.audit.list();
    expect(audit[0]).toMatchObject({
      actor: { name: 'AWS Systems Manager' },
      action: 'redeploy',
      outcome: 'succeeded',
      source: `ssm:command/${deployment.runId}`,
    });
    expect(audit.find((a) => a.outcome === 'requested')).toMatchObject({
      actor: { name: 'alice' },
    });
    expect(notifier.changes).toContain(deployment.id);
  });

  it('redeploys a given version: the desired version in Parameter Store, then the hosts', async () => {
    const { deployment } = await request('redeploy', { version: 'v2' });
    expect(deployment.fromVersion).toBe('v1');
    expect(await followToEnd(deployment.id)).toMatchObject({
      status: 'succeeded',
      imageTag: 'v2',
    });
    // The end is audited with what changed: from the version it replaced to the one it set.
    expect((await repos.audit.list())[0]).toMatchObject({
      outcome: 'succeeded',
      detail: { version: 'v2', from: 'v1' },
    });
    expect(history()).toEqual(['v1', 'v2']);
    expect(running('staging')).toEqual(['v2', 'v2']);
    expect(running('prod')).toEqual(['v1', 'v1']);
  });

  it('reports one of two hosts failing per host; that host rolled back, the lease released', async () => {
    const [first, second] = aws.hostsOf('staging');
    aws.failNext(second?.id);
    const { deployment } = await request('redeploy', { version: 'v2' });
    const ended = await followToEnd(deployment.id);
    expect(ended.status).toBe('failed');
    // The desired version goes back to the one it replaced: no fleet left split for good.
    expect(ended.error).toBe(
      `1 of 2 hosts failed: ${second?.id} (Failed); now running v2 on ${first?.id}; v1 on ${second?.id}; the desired version was set back from v2 to v1`,
    );
    expect(history()).toEqual(['v1', 'v2', 'v1']);
    expect(ended.progress.map((j) => [j.id, j.conclusion])).toEqual([
      [first?.id, 'success'],
      [second?.id, 'failure'],
    ]);
    expect(ended.progress[1]?.output).toMatch(/v2 was unhealthy; rolled back to v1/);
    expect(ended.progress[0]?.output).toBeNull();
    expect(first?.running['api']).toBe('v2');
    expect(second?.running['api']).toBe('v1');
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
    expect((await repos.audit.list())[0]).toMatchObject({
      action: 'redeploy',
      outcome: 'failed',
      detail: {
        hosts: [
          { instanceId: first?.id, status: 'Success' },
          { instanceId: second?.id, status: 'Failed' },
        ],
      },
    });
  });

  it('rolls back to the version before the current one after two deploys', async () => {
    for (const version of ['v2', 'v3']) {
      const { deployment } = await request('redeploy', { version });
      expect((await followToEnd(deployment.id)).status).toBe('succeeded');
    }
    expect(await fleet.rollbackPreview('api', 'staging')).toMatchObject({
      current: { value: 'v3', version: 3 },
      target: { value: 'v2', version: 2 },
    });
    const { deployment } = await request('rollback', { rollbackFrom: 3 });
    expect(deployment).toMatchObject({ kind: 'rollback', ref: 'v2' });
    expect((await followToEnd(deployment.id)).status).toBe('succeeded');
    expect(running('staging')).toEqual(['v2', 'v2']);
    expect(history()).toEqual(['v1', 'v2', 'v3', 'v2']);
  });

  it('rolls back toward safety: a second rollback never returns to the version the first one left', async () => {
    const redeployed = await request('redeploy', { version: 'v2' });
    expect((await followToEnd(redeployed.deployment.id)).status).toBe('succeeded');
    const first = await request('rollback');
    expect(first.deployment).toMatchObject({ ref: 'v1', fromVersion: 'v2' });
    expect((await followToEnd(first.deployment.id)).status).toBe('succeeded');
    expect(history()).toEqual(['v1', 'v2', 'v1']);
    // v2 was rolled back from: neither the preview nor a rollback offers it again.
    const again = await refusal(request('rollback'));
    expect(again).toMatchObject({ reason: 'not-possible' });
    expect(again.message).toBe(
      'api on staging has no earlier good version to roll back to: not `v2` (rolled back from by alice)',
    );
    expect((await fleet.rollbackPreview('api', 'staging')).target).toBeNull();
    // A newer good version is a target again; a version whose redeploy failed is not.
    await followToEnd((await request('redeploy', { version: 'v3' })).deployment.id);
    aws.failNext();
    const failing = await request('redeploy', { version: 'v4' });
    expect((await followToEnd(failing.deployment.id)).status).toBe('failed');
    await followToEnd((await request('redeploy', { version: 'v5' })).deployment.id);
    expect((await fleet.rollbackPreview('api', 'staging')).target?.value).toBe('v3');
  });

  it('refuses a rollback confirmed against a history that has moved on', async () => {
    const { deployment } = await request('redeploy', { version: 'v2' });
    await followToEnd(deployment.id);
    const error = await refusal(request('rollback', { rollbackFrom: 1 }));
    expect(error.reason).toBe('conflict');
    expect(error.message).toMatch(
      /changed since you asked \(it is now at `v2`\): run \/rollback again/,
    );
  });

  it('refuses a rollback with nothing to return to, and a restart of nothing', async () => {
    const noEarlier = await refusal(request('rollback'));
    expect(noEarlier).toMatchObject({
      reason: 'not-possible',
      message: 'api on staging has no earlier good version to roll back to',
    });
    const empty = await new AwsSimulator({
      project: 'chatops',
      environments: ['staging'],
      services: ['api'],
    }).start();
    try {
      fleet = new FleetExecutor(catalog, fleetRepositoryFor(empty));
      service = new DeploymentService(catalog, repos, null, notifier, { fleet });
      const nothing = await refusal(request('redeploy'));
      expect(nothing).toMatchObject({
        reason: 'not-possible',
        message: 'nothing of api is deployed on staging yet: give a version',
      });
      expect((await refusal(request('rollback'))).reason).toBe('not-possible');
    } finally {
      await empty.stop();
    }
  });

  it.each([
    ['shell metacharacters', 'v2;rm -rf /'],
    ['whitespace', 'v2 beta'],
    ['more than 128 characters', 'v'.repeat(129)],
    ['a leading dash', '-v2'],
  ])('refuses a version with %s before any AWS call, and audits it', async (_, version) => {
    const error = await refusal(request('redeploy', { version }));
    expect(error.reason).toBe('invalid');
    expect(error.message).toMatch(/^invalid version: /);
    expect(aws.calls).toEqual([]);
    expect((await repos.audit.list())[0]).toMatchObject({
      outcome: 'rejected',
      action: 'redeploy',
    });
  });

  it('lists every problem with an unknown service and environment, before any AWS call', async () => {
    const error = await refusal(
      request('redeploy', { service: 'nope', environment: 'moon', version: 'bad version' }),
    );
    expect(error.problems).toEqual([
      'unknown environment `moon` (known: staging, prod)',
      'unknown service `nope` (known: api, bot)',
      'invalid version: the version must be an image tag (letters, digits, _ . -, not starting with . or -) or a sha256: digest',
    ]);
    expect(aws.calls).toEqual([]);
  });

  it('needs the redeploy or rollback permission, checked again here', async () => {
    const error = await refusal(request('redeploy', {}, dave));
    expect(error).toMatchObject({
      reason: 'denied',
      message: 'you need the `redeploy` permission on `staging`',
    });
    expect((await refusal(request('rollback', {}, dave))).message).toBe(
      'you need the `rollback` permission on `staging`',
    );
    expect(aws.calls).toEqual([]);
    expect((await repos.audit.list())[0]).toMatchObject({ outcome: 'denied' });
  });

  it('refuses while the service is locked by another deploy in that environment', async () => {
    aws.timing = { deliverMs: 5, redeployMs: 500 };
    const first = await request('redeploy');
    const error = await refusal(request('redeploy', { version: 'v2' }));
    expect(error.reason).toBe('locked');
    expect(error.message).toMatch(
      /^api on staging is locked by alice's redeploy since <t:\d+:R> \(run: https:\/\//,
    );
    await service.cancel(first.deployment.id, alice);
    expect((await followToEnd(first.deployment.id)).status).toBe('cancelled');
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
  });

  it('says clearly when SSM can reach no host, or there are none', async () => {
    for (const host of aws.hostsOf('staging')) aws.setPing(host.id, 'ConnectionLost');
    const unreachable = await refusal(request('redeploy'));
    expect(unreachable.reason).toBe('unavailable');
    expect(unreachable.message).toMatch(
      /^none of staging's hosts is reachable by SSM \(i-0\w+: ConnectionLost, /,
    );
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
    expect((await repos.audit.list())[0]).toMatchObject({ outcome: 'failed' });

    for (const host of aws.hostsOf('prod')) host.state = 'stopped';
    const none = await refusal(request('redeploy', { environment: 'prod' }));
    expect(none).toMatchObject({
      reason: 'conflict',
      message: 'no running host in prod (tags Project=chatops, Environment=prod, Role=docker-host)',
    });
    expect((await repos.audit.list())[0]).toMatchObject({
      outcome: 'rejected',
      environment: 'prod',
      detail: { error: none.message },
    });
  });

  it('refuses a redeploy or rollback to an image ECR does not hold, before any SSM call', async () => {
    const ssmCalls = () =>
      aws.calls.filter((c) => c.action.startsWith('SSM.')).map((c) => c.action);
    const missing = await refusal(request('redeploy', { version: 'v9-never-built' }));
    expect(missing).toMatchObject({
      reason: 'not-possible',
      message:
        'ECR has no image `v9-never-built` of api (repository api): nothing for the hosts to pull. Build it with /deploy, or pick a version from /history',
    });
    expect(ssmCalls()).not.toContain('SSM.SendCommand');
    expect(ssmCalls()).not.toContain('SSM.PutParameter');
    expect(history()).toEqual(['v1']);
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
    expect((await repos.audit.list())[0]).toMatchObject({
      outcome: 'rejected',
      detail: { error: missing.message },
    });
    // The version a rollback would return to was expired by a lifecycle policy.
    await followToEnd((await request('redeploy', { version: 'v2' })).deployment.id);
    aws.deleteImage('api', 'v1');
    const rollback = await refusal(request('rollback'));
    expect(rollback.message).toMatch(/^ECR has no image `v1` of api/);
    expect(ssmCalls().filter((a) => a === 'SSM.SendCommand')).toHaveLength(1);
  });

  it('checks the image again when an approved redeploy starts: gone by then, it fails before the hosts', async () => {
    const upgrade = await request('redeploy', { environment: 'prod', version: 'v3' });
    expect(upgrade.outcome).toBe('pending_approval');
    aws.deleteImage('api', 'v3');
    await expect(service.approve(upgrade.deployment.id, bob)).rejects.toMatchObject({
      message: expect.stringMatching(/^ECR has no image `v3` of api/),
    });
    expect(await repos.deployments.get(upgrade.deployment.id)).toMatchObject({ status: 'failed' });
    expect(aws.calls.map((c) => c.action)).not.toContain('SSM.SendCommand');
    expect(aws.history('/chatops/prod/api/image').map((v) => v.value)).toEqual(['v1']);
    expect(await repos.locks.get({ environment: 'prod', service: 'api' })).toBeNull();
  });

  it('turns AWS throttling and access denial into clear refusals, audited, nothing left locked', async () => {
    aws.throttleNext(1, /GetParameterHistory/);
    const throttled = await refusal(request('redeploy'));
    expect(throttled).toMatchObject({ reason: 'unavailable' });
    expect(throttled.message).toMatch(/AWS is throttling us/);
    expect((await repos.audit.list())[0]).toMatchObject({
      outcome: 'failed',
      detail: { error: throttled.message },
    });
    aws.denyNext(/SSM\.SendCommand/);
    const denied = await refusal(request('redeploy', { version: 'v2' }));
    expect(denied).toMatchObject({ reason: 'aws' });
    expect(denied.message).toBe(
      "AWS denied the platform's role permission to send the redeploy command",
    );
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
    const failed = (await repos.deployments.listRecent()).find((d) => d.version === 'v2');
    expect(failed).toMatchObject({ status: 'failed', error: denied.message });
  });

  it('restarts in an approval environment at once, but a new version waits for approval', async () => {
    const restart = await request('redeploy', { environment: 'prod' });
    expect(restart.outcome).toBe('dispatched');
    await followToEnd(restart.deployment.id);
    const upgrade = await request('redeploy', { environment: 'prod', version: 'v2' });
    expect(upgrade.outcome).toBe('pending_approval');
    expect(aws.history('/chatops/prod/api/image').map((v) => v.value)).toEqual(['v1']);
    const approved = await service.approve(upgrade.deployment.id, bob);
    expect(approved.outcome).toBe('dispatched');
    expect((await followToEnd(upgrade.deployment.id)).status).toBe('succeeded');
    expect(running('prod')).toEqual(['v2', 'v2']);
  });

  it('tells the truth in /status: desired against running per host, after a partial failure', async () => {
    const [first, second] = aws.hostsOf('staging');
    const reader = new FleetStatusReader(catalog, repos, fleet);
    const before = await reader.read('staging');
    expect(before.environments[0]?.services[0]).toMatchObject({
      name: 'api',
      desired: { value: 'v1', version: 1 },
      running: [
        { instanceId: first?.id, version: 'v1', health: 'converged at boot' },
        { instanceId: second?.id, version: 'v1', health: 'converged at boot' },
      ],
      lastDeploy: null,
    });
    aws.failNext(second?.id);
    const { deployment } = await request('redeploy', { version: 'v2' });
    await followToEnd(deployment.id);
    const status = await reader.read('staging');
    const env = status.environments[0];
    expect(env?.error).toBeNull();
    expect(env?.hosts.map((h) => [h.id, h.state, h.ssmPing, h.availabilityZone])).toEqual([
      [first?.id, 'running', 'Online', 'eu-west-1a'],
      [second?.id, 'running', 'Online', 'eu-west-1b'],
    ]);
    // The failed redeploy set the desired version back; the host that took v2 shows the split.
    expect(env?.services[0]).toMatchObject({
      desired: { value: 'v1', version: 3 },
      running: [
        { instanceId: first?.id, version: 'v2', health: 'healthy' },
        { instanceId: second?.id, version: 'v1', health: 'rolled back' },
      ],
      lastDeploy: { kind: 'redeploy', ref: 'v2', status: 'failed', requestedBy: 'alice' },
    });
    expect(env?.services[1]).toMatchObject({ name: 'bot', desired: { value: 'v1' } });
    expect(second?.running['api']).toBe('v1');
  });

  it('shows every environment in /status, one AWS cannot read with its error', async () => {
    const reader = new FleetStatusReader(catalog, repos, fleet);
    aws.denyNext(/EC2\.DescribeInstances/);
    const status = await reader.read();
    expect(status.environments.map((e) => [e.name, e.error])).toEqual([
      ['staging', "AWS denied the platform's role permission to list the hosts"],
      ['prod', "AWS denied the platform's role permission to list the hosts"],
    ]);
    aws.denyNext(null);
    expect((await reader.read()).environments.map((e) => e.hosts.length)).toEqual([2, 2]);
    await expect(reader.read('moon')).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('shows in /status where each host stands behind the load balancer, and says when that is unreadable', async () => {
    const reader = new FleetStatusReader(catalog, repos, fleet);
    // The stand-in of this suite has no load-balanced environment: no host is in a group.
    const plain = await reader.read('staging');
    expect(plain.environments[0]?.hosts.map((h) => h.loadBalancer)).toEqual([null, null]);
    aws.denyNext(/AutoScaling\./);
    const [env] = (await reader.read('staging')).environments;
    expect(env?.error).toBeNull();
    expect(env?.hosts.map((h) => h.loadBalancer?.error)).toEqual([
      "AWS denied the platform's role permission to read the hosts’ Auto Scaling groups",
      "AWS denied the platform's role permission to read the hosts’ Auto Scaling groups",
    ]);
    expect(env?.services.map((s) => s.name)).toEqual(['api', 'bot']);
  });

  it('previews a rollback: from the current version to the one before', async () => {
    const reader = new FleetStatusReader(catalog, repos, fleet);
    await expect(reader.rollbackPreview('api', 'staging')).rejects.toMatchObject({
      reason: 'not-possible',
    });
    await followToEnd((await request('redeploy', { version: 'v2' })).deployment.id);
    expect(await reader.rollbackPreview('api', 'staging')).toMatchObject({
      current: { value: 'v2', version: 2 },
      target: { value: 'v1', version: 1 },
    });
    await expect(reader.rollbackPreview('nope', 'staging')).rejects.toMatchObject({
      reason: 'invalid',
      problems: ['unknown service `nope`'],
    });
  });

  it('takes a rollback confirmation once, from the member who asked, until it expires', async () => {
    const reader = new FleetStatusReader(catalog, repos, fleet);
    await followToEnd((await request('redeploy', { version: 'v2' })).deployment.id);
    const sre = member('300', 'sam', 'sre');
    const rollback = (confirmationId: string, requestId: string, who = sre) =>
      service.request({ requestId, kind: 'rollback', confirmationId, ...who });

    // Keep, then Roll back on the same confirmation: refused, audited, nothing sent.
    const kept = await reader.confirmRollback('api', 'staging', sre.actor.id);
    expect(kept).toMatchObject({ current: { value: 'v2' }, target: { value: 'v1' } });
    await service.keep(kept.confirmationId as string, sre);
    const afterKeep = await refusal(rollback(kept.confirmationId as string, 'after-keep'));
    expect(afterKeep).toMatchObject({ reason: 'conflict' });
    expect(afterKeep.message).toBe(
      'this confirmation was already answered (kept): run /rollback again',
    );
    await expect(service.keep(kept.confirmationId as string, sre)).rejects.toMatchObject({
      reason: 'conflict',
    });
    const trail = (await repos.audit.list()).slice(0, 3).map((e) => [e.action, e.outcome]);
    expect(trail).toEqual([
      ['rollback.keep', 'rejected'],
      ['rollback', 'rejected'],
      ['rollback.keep', 'succeeded'],
    ]);

    // Someone else's press is refused; the member's own goes through, once, aimed at what they saw.
    const asked = await reader.confirmRollback('api', 'staging', sre.actor.id);
    const other = await refusal(rollback(asked.confirmationId as string, 'other', alice));
    expect(other).toMatchObject({ reason: 'denied' });
    const [first, copy] = await Promise.all([
      rollback(asked.confirmationId as string, 'press-1'),
      rollback(asked.confirmationId as string, 'press-1'),
    ]);
    expect([first.outcome, copy.outcome].sort()).toEqual(['dispatched', 'existing']);
    expect(first.deployment).toMatchObject({ kind: 'rollback', service: 'api', ref: 'v1' });
    const second = await refusal(rollback(asked.confirmationId as string, 'press-2'));
    expect(second.message).toBe(
      'this confirmation was already answered (rolled back): run /rollback again',
    );
    expect(aws.calls.filter((c) => c.action === 'SSM.SendCommand')).toHaveLength(2);

    // A late press is refused.
    const late = await repos.confirmations.create({
      kind: 'rollback',
      memberId: sre.actor.id,
      payload: { service: 'bot', environment: 'staging', from: 1, to: 'v0' },
      ttlMs: 1,
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(await refusal(rollback(late.id, 'late'))).toMatchObject({
      reason: 'expired',
      message: 'this confirmation has expired: run /rollback again',
    });
  });

  it('rolls back to a version picked with to:, naming who deployed each side, warning of a bad pick', async () => {
    const reader = new FleetStatusReader(catalog, repos, fleet);
    const bob = member('200', 'bob', 'deployer');
    await followToEnd((await request('redeploy', { version: 'v2' })).deployment.id);
    await followToEnd((await request('redeploy', { version: 'v3' }, bob)).deployment.id);
    await followToEnd((await request('rollback')).deployment.id); // v3 → v2: v3 is bad now
    await followToEnd((await request('redeploy', { version: 'v4' }, bob)).deployment.id);

    // Default: the last known good (v2), not v3.
    const preview = await reader.rollbackPreview('api', 'staging');
    expect(preview).toMatchObject({
      current: { value: 'v4', deployedBy: { name: 'bob' }, bad: null },
      target: { value: 'v2', deployedBy: { name: 'alice' }, bad: null },
    });
    // A pick of the bad one is allowed on purpose, with the reason shown; the confirmation holds it.
    const sre = member('300', 'sam', 'sre');
    const picked = await reader.confirmRollback('api', 'staging', sre.actor.id, 'v3');
    expect(picked.target).toMatchObject({
      value: 'v3',
      deployedBy: { name: 'bob' },
      bad: 'rolled back from by alice',
    });
    const { deployment } = await service.request({
      requestId: 'picked',
      kind: 'rollback',
      confirmationId: picked.confirmationId ?? '',
      ...sre,
    });
    expect(deployment).toMatchObject({ ref: 'v3', fromVersion: 'v4' });
    expect((await followToEnd(deployment.id)).status).toBe('succeeded');
    expect(history()).toEqual(['v1', 'v2', 'v3', 'v2', 'v4', 'v3']);

    // The current version, or one that never ran there, is no place to roll back to.
    expect(await refusal(reader.rollbackPreview('api', 'staging', 'v3'))).toMatchObject({
      reason: 'not-possible',
      message: 'api on staging already runs `v3`',
    });
    expect(
      await refusal(reader.confirmRollback('api', 'staging', sre.actor.id, 'v9')),
    ).toMatchObject({
      reason: 'not-possible',
      message: '`v9` never ran api on staging: pick one of the versions offered',
    });
  });

  it('names a workflow deploy as who put a version on the hosts, by the image it recorded', () => {
    const base = {
      service: 'api',
      environment: 'staging',
      status: 'succeeded',
      requestedBy: { id: '1', name: 'dana' },
      finishedAt: 5_000,
      updatedAt: 5_000,
      imageTag: null,
      version: null,
    };
    const recorded = [
      {
        ...base,
        kind: 'deploy',
        ref: 'main',
        imageTag: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      },
      {
        ...base,
        kind: 'redeploy',
        ref: 'v2',
        version: 'v2',
        requestedBy: { id: '2', name: 'eve' },
      },
      { ...base, kind: 'redeploy', ref: 'v7', version: 'v7', status: 'failed' },
    ] as unknown as Deployment[];
    expect(deployedBy(recorded, 'a1b2c3d')).toEqual({ name: 'dana', at: 5_000 });
    expect(deployedBy(recorded, 'v2')).toEqual({ name: 'eve', at: 5_000 });
    expect(deployedBy(recorded, 'v7')).toBeNull();
  });

  it('lists the versions deployed before, newest first, each once', async () => {
    const reader = new FleetStatusReader(catalog, repos, fleet);
    for (const version of ['v2', 'v3'])
      await followToEnd((await request('redeploy', { version })).deployment.id);
    await followToEnd((await request('rollback')).deployment.id);
    const by = (name: string) => ({ name, at: expect.any(Number) });
    expect(await reader.versions('api', 'staging')).toEqual([
      {
        value: 'v2',
        modifiedAt: expect.any(String),
        current: true,
        deployedBy: by('alice'),
        bad: null,
      },
      {
        value: 'v3',
        modifiedAt: expect.any(String),
        current: false,
        deployedBy: by('alice'),
        bad: 'rolled back from by alice',
      },
      // v1 was there before any deployment the platform recorded.
      { value: 'v1', modifiedAt: expect.any(String), current: false, deployedBy: null, bad: null },
    ]);
    await expect(reader.versions('api', 'moon')).rejects.toMatchObject({ reason: 'invalid' });
    aws.throttleNext(1, /GetParameterHistory/);
    await expect(reader.versions('api', 'staging')).rejects.toMatchObject({
      reason: 'unavailable',
    });
  });

  it('fails a command no host picked up, and releases the lease', async () => {
    const { deployment } = await request('redeploy');
    // As if every host vanished after the command was sent: SSM lists no invocations.
    const empty = await fleetRepositoryFor(aws).sendRedeploy({
      project: 'chatops',
      environment: 'nowhere',
      service: 'api',
      imageTag: 'v1',
      documentName: 'chatops-redeploy',
    });
    await repos.deployments.update(deployment.id, { runId: empty });
    const poller = new FleetPoller(repos, fleet, new DeploymentTracker(repos, { notifier }), {
      intervalMs: 10,
      maxIntervalMs: 10,
      undeliveredMs: 60_000,
    });
    await poller.tick(Date.now());
    expect((await repos.deployments.get(deployment.id))?.status).toBe('dispatched');
    await new Promise((r) => setTimeout(r, 20));
    await poller.tick(Date.now() + 61_000);
    expect(await repos.deployments.get(deployment.id)).toMatchObject({
      status: 'failed',
      error: 'no host received the command',
    });
    expect(await repos.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
  });

  it('answers 503 when no fleet is configured', async () => {
    const without = new DeploymentService(catalog, repos, null, notifier);
    const error = await refusal(
      without.request({
        requestId: 'x-1',
        kind: 'redeploy',
        service: 'api',
        environment: 'staging',
        ...alice,
      }),
    );
    expect(error).toMatchObject({ reason: 'not-configured' });
    expect(error.message).toMatch(/AWS fleet is not configured/);
  });
});
