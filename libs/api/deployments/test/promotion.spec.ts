import { AwsSimulator } from '@chatops/aws-sim';
import type { Repositories } from '@chatops/persistence';
import {
  catalog,
  fleetRepositoryFor,
  followFleetToEnd,
  member,
  RecordingNotifier,
  refusal,
  useAwsStandIn,
  useInMemoryRepositories,
} from './fixtures';
import { DeploymentService } from '../src/deployment.service';
import { FleetExecutor } from '../src/fleet-executor';

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
  fleet = new FleetExecutor(catalog, fleetRepositoryFor(aws));
  service = new DeploymentService(catalog, repos, null, notifier, { fleet });
});

function promote(overrides: Record<string, unknown> = {}, who = alice) {
  return service.request({
    requestId: `req-${++seq}`,
    kind: 'redeploy',
    service: 'api',
    environment: 'prod',
    promoteFrom: 'staging',
    channelId: '444',
    ...who,
    ...overrides,
  });
}

describe('/promote', () => {
  it("puts on prod exactly what runs on staging, under prod's approval", async () => {
    aws.applyDeploy('staging', 'api', 'v2');
    const requested = await promote();
    expect(requested.outcome).toBe('pending_approval');
    expect(requested.deployment).toMatchObject({
      kind: 'redeploy',
      environment: 'prod',
      ref: 'v2',
      version: 'v2',
      fromVersion: 'v1',
      promotedFrom: 'staging',
    });
    // Staging moves on meanwhile: what was approved is what ran there when asked.
    aws.applyDeploy('staging', 'api', 'v3');
    const approved = await service.approve(requested.deployment.id, bob);
    expect(approved.outcome).toBe('dispatched');
    expect((await followFleetToEnd(repos, fleet, notifier, requested.deployment.id)).status).toBe(
      'succeeded',
    );
    expect(aws.hostsOf('prod').map((h) => h.running['api'])).toEqual(['v2', 'v2']);
    const [audit] = await repos.audit.list({ action: 'redeploy', limit: 1 });
    expect(audit?.detail).toMatchObject({ version: 'v2', from: 'v1' });
    // The image is staging's, by digest: what the approvers were shown.
    expect(requested.deployment.imageDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(requested.deployment.imageDigest).toBe(aws.imageDigestOf('api', 'v2'));
  });

  it('refuses to start when the tag names another image than the one approved, changing nothing', async () => {
    aws.applyDeploy('staging', 'api', 'v2');
    const requested = await promote();
    const approvedDigest = requested.deployment.imageDigest as string;
    // Meanwhile the tag was deleted and pushed again from another build.
    aws.deleteImage('api', 'v2');
    aws.pushImage('api', 'v2', { content: 'another build' });
    expect(aws.imageDigestOf('api', 'v2')).not.toBe(approvedDigest);
    const approved = await refusal(service.approve(requested.deployment.id, bob));
    expect(approved).toMatchObject({ reason: 'conflict' });
    expect(approved.message).toBe(
      `\`v2\` of api is no longer the image that was approved (${approvedDigest.slice(0, 19)}, now ${aws.imageDigestOf('api', 'v2')?.slice(0, 19)}): nothing was changed. Ask again to deploy what it names now`,
    );
    expect((await repos.deployments.get(requested.deployment.id))?.status).toBe('failed');
    expect(aws.hostsOf('prod').map((h) => h.running['api'])).toEqual(['v1', 'v1']);
    expect(aws.history(aws.parameterName('prod', 'api')).map((p) => p.value)).toEqual(['v1']);
  });

  it('needs the deploy permission on the target, and refuses what makes no sense, saying why', async () => {
    aws.applyDeploy('staging', 'api', 'v2');
    const denied = await refusal(promote({}, dave));
    expect(denied).toMatchObject({
      reason: 'denied',
      message: 'you need the `deploy` permission on `prod`',
    });
    expect((await refusal(promote({ promoteFrom: 'prod' }))).message).toContain(
      'not to `prod` itself',
    );
    expect((await refusal(promote({ promoteFrom: 'qa' }))).message).toContain(
      'unknown environment to promote from `qa`',
    );
    expect((await refusal(promote({ version: 'v9' }))).message).toContain('give no version');
    expect((await refusal(promote({ kind: 'deploy', ref: 'main' }))).message).toContain(
      'only a redeploy promotes',
    );
    expect(await repos.deployments.listRecent({})).toEqual([]);
  });
});

describe('/promote with nothing to promote', () => {
  const emptyAws = useAwsStandIn({ initialVersion: null });
  it('is refused naming the environment', async () => {
    const empty = new FleetExecutor(catalog, fleetRepositoryFor(emptyAws()));
    const onEmpty = new DeploymentService(catalog, repos, null, notifier, { fleet: empty });
    const error = await refusal(
      onEmpty.request({
        requestId: 'req-empty',
        kind: 'redeploy',
        service: 'api',
        environment: 'prod',
        promoteFrom: 'staging',
        ...alice,
      }),
    );
    expect(error).toMatchObject({
      reason: 'not-possible',
      message: 'nothing of api runs on staging yet: there is nothing to promote',
    });
  });
});
