import type { Repositories } from '@chatops/persistence';
import {
  catalog,
  fleetRepositoryFor,
  followFleetToEnd,
  member,
  RecordingNotifier,
  useAwsStandIn,
  useInMemoryRepositories,
} from './fixtures';
import { DeploymentService } from '../src/deployment.service';
import { FleetExecutor, recordedBadVersions } from '../src/fleet-executor';
import { FleetStatusReader } from '../src/fleet-status-reader';

/**
 * /redeploy and /rollback where staging's hosts sit behind the load balancer: the stand-in's
 * model of redeploy.sh takes each host out of service while api restarts (the real script's
 * steps are tested in deploy/host/test and tools/test/rolling-redeploy.e2e.spec.ts), and
 * /status shows where each host stands.
 */
const currentRepos = useInMemoryRepositories();
const currentAws = useAwsStandIn({ environments: ['staging'], loadBalanced: ['staging'] });
let repos: Repositories;
let notifier: RecordingNotifier;
let service: DeploymentService;
let fleet: FleetExecutor;
const alice = member('100', 'alice', 'deployer');

beforeEach(() => {
  repos = currentRepos();
  notifier = new RecordingNotifier();
  fleet = new FleetExecutor(catalog, fleetRepositoryFor(currentAws()), {
    region: 'eu-west-1',
    badVersions: recordedBadVersions(repos),
  });
  service = new DeploymentService(catalog, repos, null, notifier, { fleet });
});

async function redeploy(requestId: string, version: string) {
  const { deployment } = await service.request({
    requestId,
    kind: 'redeploy',
    service: 'api',
    environment: 'staging',
    version,
    channelId: '444',
    source: 'discord:test',
    ...alice,
  });
  return followFleetToEnd(repos, fleet, notifier, deployment.id);
}

it('a redeploy rolls api host by host through standby; /status shows every host healthy in rotation after', async () => {
  const aws = currentAws();
  const ended = await redeploy('lb-1', 'v2');
  expect(ended.status).toBe('succeeded');
  expect(aws.hostsOf('staging').map((h) => h.running['api'])).toEqual(['v2', 'v2']);
  const [env] = (await new FleetStatusReader(catalog, repos, fleet).read('staging')).environments;
  expect(env?.hosts.map((h) => h.loadBalancer)).toEqual([
    { group: 'chatops-staging-app', lifecycle: 'InService', targetHealth: 'healthy' },
    { group: 'chatops-staging-app', lifecycle: 'InService', targetHealth: 'healthy' },
  ]);
});

it('a host that fails stays out of service, named in the failure and in /status', async () => {
  const aws = currentAws();
  const [, second] = aws.hostsOf('staging');
  aws.failNext(second?.id);
  const ended = await redeploy('lb-2', 'v2');
  expect(ended.status).toBe('failed');
  expect(ended.error).toContain(second!.id);
  const [env] = (await new FleetStatusReader(catalog, repos, fleet).read('staging')).environments;
  expect(env?.hosts.find((h) => h.id === second?.id)?.loadBalancer).toEqual({
    group: 'chatops-staging-app',
    lifecycle: 'Standby',
    targetHealth: 'unused',
  });
});
