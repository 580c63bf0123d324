import { AwsSimulator } from '@chatops/aws-sim';
import { GithubSimulator, shaOf } from '@chatops/github-sim';
import type { Repositories } from '@chatops/persistence';
import {
  catalog,
  fleetRepositoryFor,
  githubRepositoryFor,
  member,
  RecordingNotifier,
  refusal,
  useAwsStandIn,
  useGithubStandIn,
  useInMemoryRepositories,
} from './fixtures';
import { DeploymentService } from '../src/deployment.service';
import { FleetExecutor } from '../src/fleet-executor';

// Image tags are the commits they were built from: prod and staging run `main` as it is now.
const currentRepos = useInMemoryRepositories();
const currentGithub = useGithubStandIn();
const currentAws = useAwsStandIn({ initialVersion: shaOf('main') });
let repos: Repositories;
let github: GithubSimulator;
let aws: AwsSimulator;
let service: DeploymentService;
let seq = 0;

const alice = member('100', 'alice', 'deployer');
const carol = member('300', 'carol', 'deployer');

beforeEach(() => {
  repos = currentRepos();
  github = currentGithub();
  aws = currentAws();
  const fleet = new FleetExecutor(catalog, fleetRepositoryFor(aws));
  service = new DeploymentService(
    catalog,
    repos,
    githubRepositoryFor(github),
    new RecordingNotifier(),
    { fleet },
  );
});

function deploy(ref: string, overrides: Record<string, unknown> = {}, who = alice) {
  return service.request({
    requestId: `req-${++seq}`,
    kind: 'deploy',
    service: 'api',
    environment: 'staging',
    ref,
    channelId: '444',
    source: 'discord:test',
    ...who,
    ...overrides,
  });
}

describe('what a deploy changes', () => {
  it('records the target commit, what runs, and a compare of 0, 1 and 12 commits', async () => {
    const same = await deploy('main');
    expect(same.deployment.change).toEqual({
      target: expect.objectContaining({ sha: shaOf('main'), title: 'Release main' }),
      current: {
        version: shaOf('main'),
        commit: expect.objectContaining({ sha: shaOf('main'), author: 'octocat' }),
      },
      compare: expect.objectContaining({ status: 'identical', aheadBy: 0, commits: [] }),
      unavailable: null,
    });

    const [one] = github.pushCommits('main', 1, 'Fix the login page', 'alice');
    const ahead1 = await deploy('main', { service: 'bot' });
    expect(ahead1.deployment.change?.target?.sha).toBe(one!.sha);
    expect(ahead1.deployment.change?.compare).toMatchObject({
      status: 'ahead',
      aheadBy: 1,
      commits: [{ sha: one!.sha, author: 'alice', title: 'Fix the login page' }],
    });
    // Pinned: the workflow builds the commit the message showed, not where `main` goes next.
    expect(ahead1.deployment.inputs?.['ref']).toBe(one!.sha);

    github.pushCommits('main', 11, 'Feature', 'bob');
    const ahead12 = await deploy('main', { environment: 'prod' });
    expect(ahead12.outcome).toBe('pending_approval');
    expect(ahead12.deployment.change?.compare).toMatchObject({ status: 'ahead', aheadBy: 12 });
    expect(ahead12.deployment.change?.compare?.commits).toHaveLength(10);
  });

  it('tells the message what it could not read rather than failing the request', async () => {
    // A version nobody built from this repository.
    aws.applyDeploy('staging', 'api', 'hotfix-by-hand');
    const result = await deploy('main');
    expect(result.outcome).toBe('dispatched');
    expect(result.deployment.change).toMatchObject({
      target: expect.objectContaining({ sha: shaOf('main') }),
      current: { version: 'hotfix-by-hand', commit: null },
      compare: null,
      unavailable: expect.stringContaining('`hotfix-by-hand` names no commit'),
    });
  });
});

describe('a deploy that would go backwards', () => {
  it('asks its requester to confirm first, records nothing until then, and goes once confirmed', async () => {
    const asked = await refusal(deploy('v1.4.0'));
    expect(asked).toMatchObject({ reason: 'needs-confirmation' });
    const confirmation = (asked.details as { confirmation: Record<string, unknown> }).confirmation;
    expect(confirmation).toMatchObject({
      kind: 'deploy',
      service: 'api',
      environment: 'staging',
      target: 'v1.4.0',
      change: { compare: { status: 'behind', aheadBy: 0, behindBy: 3 } },
    });
    expect(await repos.deployments.listRecent({})).toEqual([]);
    expect((await repos.audit.list({ limit: 5 }))[0]).toMatchObject({
      action: 'deploy.backwards',
      outcome: 'requested',
    });

    const id = confirmation['id'] as string;
    // Only the member who asked answers it.
    expect((await refusal(deploy('', { confirmationId: id }, carol))).reason).toBe('denied');
    const confirmed = await deploy('', { confirmationId: id });
    expect(confirmed.outcome).toBe('dispatched');
    expect(confirmed.deployment).toMatchObject({ ref: 'v1.4.0', environment: 'staging' });
    expect(confirmed.deployment.change?.compare?.status).toBe('behind');
    // Once.
    expect((await refusal(deploy('', { confirmationId: id }))).reason).toBe('conflict');
  });

  it('refuses a confirmation given against a version that no longer runs', async () => {
    const asked = await refusal(deploy('v1.4.0'));
    const id = (asked.details as { confirmation: { id: string } }).confirmation.id;
    const [newer] = github.pushCommits('main', 1, 'Newer');
    aws.applyDeploy('staging', 'api', newer!.sha);
    const stale = await refusal(deploy('', { confirmationId: id }));
    expect(stale).toMatchObject({ reason: 'conflict' });
    expect(stale.message).toContain('changed since you confirmed');
    expect(await repos.deployments.listRecent({})).toEqual([]);
  });

  it('does not ask for a rollback, which goes back by design', async () => {
    aws.applyDeploy('staging', 'api', shaOf('v1.4.0'));
    aws.applyDeploy('staging', 'api', shaOf('main'));
    const rollback = await service.request({
      requestId: `req-${++seq}`,
      kind: 'rollback',
      service: 'api',
      environment: 'staging',
      ...alice,
    });
    expect(rollback.outcome).toBe('dispatched');
    expect(rollback.deployment.change?.compare).toMatchObject({ status: 'behind' });
  });
});
