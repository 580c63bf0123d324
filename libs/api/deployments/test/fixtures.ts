import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { catalogSchema, type Clock, Refusal } from '@chatops/domain';
import { OctokitGithubRepository } from '@chatops/github';
import { GithubSimulator } from '@chatops/github-sim';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsFleetRepository } from '@chatops/aws-fleet';
import { AwsSimulator } from '@chatops/aws-sim';
import type { DeploymentNotifier } from '../src/notifier';
import { DeploymentTracker } from '../src/deployment-tracker';
import type { FleetExecutor } from '../src/fleet-executor';
import { FleetPoller } from '../src/fleet-poller';
import {
  createRepositories,
  Deployment,
  DatabaseHandle,
  openDatabase,
  Repositories,
} from '@chatops/persistence';

/** A fresh in-memory SQLite system of record per test; `repos()` reads the current one. */
export function useInMemoryRepositories(clock?: Clock): () => Repositories {
  let handle: DatabaseHandle;
  let repos: Repositories;
  beforeEach(async () => {
    handle = await openDatabase('sqlite::memory:');
    repos = createRepositories(handle, clock);
  });
  afterEach(() => handle.close());
  return () => repos;
}

/** The catalog the deployment tests run against. */
export const catalog = catalogSchema.parse({
  project: 'chatops',
  github: { owner: 'acme', repo: 'chatops' },
  services: [
    {
      name: 'api',
      workflow: 'deploy.yml',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api',
      healthUrl: 'https://{environment}.example.com/health',
    },
    {
      name: 'bot',
      workflow: 'deploy.yml',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/bot',
      healthUrl: 'https://{environment}.example.com/health',
    },
  ],
  environments: [
    { name: 'staging' },
    { name: 'prod', requiresApproval: true, approvalTimeoutMinutes: 30 },
  ],
  roles: {
    deployer: { '*': ['view', 'deploy', 'cancel', 'redeploy', 'rollback'] },
    developer: { '*': ['view'], staging: ['deploy'] },
    approver: { prod: ['approve'] },
    sre: { '*': ['*'] },
  },
});

/** Records which deployments were reported changed. */
export class RecordingNotifier implements DeploymentNotifier {
  readonly changes: string[] = [];
  changed(deploymentId: string): void {
    this.changes.push(deploymentId);
  }
}

export const GITHUB_TOKEN = 'ghs_deployments_test_token_000000000000';

/** A GitHub stand-in per test (fast timings, no webhooks unless a test wires them). */
export function useGithubStandIn(): () => GithubSimulator {
  let github: GithubSimulator;
  beforeEach(async () => {
    github = await new GithubSimulator({
      owner: 'acme',
      repo: 'chatops',
      token: GITHUB_TOKEN,
      timing: { queuedMs: 30, stepMs: 20 },
    }).start();
  });
  afterEach(() => github.stop());
  return () => github;
}

export function githubRepositoryFor(
  github: GithubSimulator,
  token = GITHUB_TOKEN,
): OctokitGithubRepository {
  return new OctokitGithubRepository({
    owner: 'acme',
    repo: 'chatops',
    auth: { kind: 'token', token },
    baseUrl: github.baseUrl,
    writeIntervalMs: 0,
    retries: 0,
    correlation: { attempts: 20, intervalMs: 25 },
  });
}

export const member = (id: string, name: string, ...roles: string[]) => ({
  actor: { id, name },
  roles: { ids: [], names: roles },
});

/** The tags the tests redeploy and roll back to, in ECR from the start (others are missing). */
export const FIXTURE_IMAGES = ['v2', 'v3', 'v4', 'v5', 'v2.0.0', 'v2.1.0', 'main'];

/** An AWS stand-in per test: two hosts per environment running v1 of every service. */
export function useAwsStandIn(
  /** `initialVersion: null`: nothing deployed yet. */
  options: {
    environments?: string[];
    initialVersion?: string | null;
    /** Tags ECR holds besides the initial version and what deploys recorded. */
    images?: string[];
    /** Environments whose hosts sit behind the load balancer. */
    loadBalanced?: string[];
  } = {},
): () => AwsSimulator {
  let aws: AwsSimulator;
  beforeEach(async () => {
    aws = await new AwsSimulator({
      project: 'chatops',
      environments: options.environments ?? ['staging', 'prod'],
      services: ['api', 'bot'],
      // The test catalog's images (…amazonaws.com/api, …/bot).
      repositories: { api: 'api', bot: 'bot' },
      images: options.images ?? FIXTURE_IMAGES,
      ...(options.initialVersion === null
        ? {}
        : { initialVersion: options.initialVersion ?? 'v1' }),
      timing: { deliverMs: 5, redeployMs: 25 },
      ...(options.loadBalanced
        ? {
            loadBalanced: options.loadBalanced,
            loadBalancing: {
              deregistrationDelayMs: 30,
              healthCheck: { intervalMs: 10, healthyThreshold: 2, unhealthyThreshold: 2 },
            },
          }
        : {}),
    }).start();
  });
  afterEach(() => aws.stop());
  return () => aws;
}

/** The real repository over the real SDK clients, pointed at the stand-in (no SDK retries). */
export function fleetRepositoryFor(aws: AwsSimulator): AwsFleetRepository {
  const config = aws.sdkConfig();
  return new AwsFleetRepository({
    ssm: new SSMClient(config),
    ec2: new EC2Client(config),
    ecr: new ECRClient(config),
    autoscaling: new AutoScalingClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
  });
}

/** The refusal a promise ends with (and that it does end with one). */
export async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Refusal);
  return error as Refusal;
}

/** Ticks a poller until the deployment ends (at most `ticks` times); returns how it ended. */
export async function pollToEnd(
  repos: Repositories,
  poller: { tick(): Promise<unknown> },
  deploymentId: string,
  ticks = 400,
): Promise<Deployment> {
  for (let i = 0; i < ticks; i++) {
    const deployment = await repos.deployments.get(deploymentId);
    if (deployment && ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(deployment.status))
      return deployment;
    await poller.tick();
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`deployment ${deploymentId} did not end`);
}

/** Follows a fleet command the way the API does, with a fresh poller (as after a restart). */
export function followFleetToEnd(
  repos: Repositories,
  fleet: FleetExecutor,
  notifier: DeploymentNotifier,
  deploymentId: string,
): Promise<Deployment> {
  const poller = new FleetPoller(repos, fleet, new DeploymentTracker(repos, { notifier }), {
    intervalMs: 10,
    maxIntervalMs: 10,
  });
  return pollToEnd(repos, poller, deploymentId);
}
