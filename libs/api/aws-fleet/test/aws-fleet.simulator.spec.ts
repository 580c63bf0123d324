import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsSimulator } from '@chatops/aws-sim';
import { AwsFleetRepository, NOT_DEPLOYED } from '../src/aws-fleet.repository';

/** The real SDK clients against the AWS stand-in: the wire protocols as well as the logic. */
describe('AwsFleetRepository against the AWS stand-in', () => {
  let sim: AwsSimulator;
  let fleet: AwsFleetRepository;
  const scope = { project: 'chatops', environment: 'staging' };
  const clients: { destroy(): void }[] = [];

  function clientsFor(accessKeyId: string) {
    const config = sim.sdkConfig(accessKeyId);
    const ssm = new SSMClient(config);
    const ec2 = new EC2Client(config);
    const ecr = new ECRClient(config);
    clients.push(ssm, ec2, ecr);
    return { ssm, ec2, ecr };
  }

  beforeEach(async () => {
    sim = await new AwsSimulator({
      project: 'chatops',
      environments: ['staging', 'prod'],
      services: ['api', 'bot'],
      initialVersion: 'v1',
      images: ['v2'],
      timing: { deliverMs: 10, redeployMs: 40 },
    }).start();
    fleet = new AwsFleetRepository({
      ...clientsFor(sim.accessKeyId),
      pollMs: { initial: 20, max: 50 },
    });
  });

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.destroy());
    await sim.stop();
  });

  it('lists the hosts of one environment by tag, with AZ, AMI, launch time and SSM ping', async () => {
    sim.setPing(sim.hostsOf('staging')[1]?.id ?? '', 'ConnectionLost');
    const hosts = await fleet.listInstances(scope);
    expect(hosts).toHaveLength(2);
    expect(hosts.map((h) => h.id).sort()).toEqual(
      sim
        .hostsOf('staging')
        .map((h) => h.id)
        .sort(),
    );
    expect(hosts[0]).toMatchObject({
      id: expect.stringMatching(/^i-0[0-9a-f]{16}$/),
      state: 'running',
      availabilityZone: 'eu-west-1a',
      amiId: 'ami-0c0ffee0ddba11000',
      ssmPing: 'Online',
    });
    expect(Date.parse(hosts[0]?.launchedAt ?? '')).toBeLessThan(Date.now());
    expect(hosts[1]?.ssmPing).toBe('ConnectionLost');
  });

  it('rolls a redeploy across the environment one host at a time and records the version', async () => {
    expect(await fleet.setDesiredVersion(scope, 'api', 'v2')).toBe(2);
    const id = await fleet.sendRedeploy({
      ...scope,
      service: 'api',
      imageTag: 'v2',
      documentName: 'chatops-redeploy',
    });
    const snapshots: string[] = [];
    const result = await fleet.followCommand(id, (invocations) =>
      snapshots.push(invocations.map((i) => i.status).join(',')),
    );
    expect(result.map((r) => r.status)).toEqual(['Success', 'Success']);
    // Rolling: never both in progress at once.
    expect(snapshots).not.toContain('InProgress,InProgress');
    expect(sim.hostsOf('staging').map((h) => h.running['api'])).toEqual(['v2', 'v2']);
    expect(sim.hostsOf('prod').map((h) => h.running['api'])).toEqual(['v1', 'v1']);
    expect((await fleet.versionHistory(scope, 'api')).map((v) => v.value)).toEqual(['v2', 'v1']);
  });

  it('reads a service never deployed as an empty history', async () => {
    expect(await fleet.versionHistory(scope, 'worker')).toEqual([]);
  });

  it('leaves out the "none" Terraform creates the parameter with: not a version to roll back to', async () => {
    expect(await fleet.setDesiredVersion(scope, 'worker', NOT_DEPLOYED)).toBe(1);
    expect(await fleet.versionHistory(scope, 'worker')).toEqual([]);
    await fleet.setDesiredVersion(scope, 'worker', 'w1');
    expect((await fleet.versionHistory(scope, 'worker')).map((v) => [v.version, v.value])).toEqual([
      [2, 'w1'],
    ]);
  });

  it('reports one of two hosts failing per host, with its output; that host rolled back', async () => {
    const [first, second] = sim.hostsOf('staging');
    sim.failNext(second?.id);
    const id = await fleet.sendRedeploy({
      ...scope,
      service: 'api',
      imageTag: 'v2',
      documentName: 'chatops-redeploy',
      maxErrors: '1',
    });
    const result = await fleet.followCommand(id);
    expect(result.map((r) => [r.instanceId, r.status])).toEqual([
      [first?.id, 'Success'],
      [second?.id, 'Failed'],
    ]);
    expect(result[1]?.outputTail).toMatch(/v2 was unhealthy; rolled back to v1/);
    expect(result[1]?.finishedAt).not.toBeNull();
    expect(second?.running['api']).toBe('v1');
    expect(first?.running['api']).toBe('v2');
  });

  it('tells whether the SSM document exists', async () => {
    expect(await fleet.documentExists('chatops-redeploy')).toBe(true);
    expect(await fleet.documentExists('chatops-nope')).toBe(false);
  });

  it('tells whether a desired-version parameter exists', async () => {
    expect(await fleet.parameterExists(scope, 'api')).toBe(true);
    expect(await fleet.parameterExists(scope, 'nope')).toBe(false);
  });

  it('asks ECR for the digest of an image; a host told to run a missing one fails its pull', async () => {
    const repository = {
      registryId: '123456789012',
      region: 'eu-west-1',
      repositoryName: 'chatops-api',
    };
    const digest = await fleet.imageDigest(repository, 'v2');
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(digest).toBe(sim.imageDigestOf('api', 'v2'));
    expect(await fleet.imageDigest(repository, digest as string)).toBe(digest);
    expect(await fleet.imageDigest(repository, 'v404')).toBeNull();
    await expect(
      fleet.imageDigest({ ...repository, repositoryName: 'chatops-nope' }, 'v2'),
    ).rejects.toMatchObject({
      kind: 'not-found',
      message: 'ECR has no repository chatops-nope in registry 123456789012',
    });
    const id = await fleet.sendRedeploy({
      ...scope,
      service: 'api',
      imageTag: 'v404',
      documentName: 'chatops-redeploy',
    });
    const result = await fleet.followCommand(id);
    expect(result.map((r) => r.status)).toEqual(['Failed', 'Cancelled']);
    expect(result[0]?.outputTail).toMatch(
      /manifest unknown[\s\S]*could not pull .*; nothing changed/,
    );
    expect(sim.hostsOf('staging').map((h) => h.running['api'])).toEqual(['v1', 'v1']);
  });

  it('stops sending to more hosts once MaxErrors is passed', async () => {
    const [first, second] = sim.hostsOf('staging');
    sim.failNext(first?.id);
    const id = await fleet.sendRedeploy({
      ...scope,
      service: 'api',
      imageTag: 'v2',
      documentName: 'chatops-redeploy',
    });
    const result = await fleet.followCommand(id);
    expect(result.map((r) => r.status)).toEqual(['Failed', 'Cancelled']);
    expect(second?.running['api']).toBe('v1');
  });

  it('refuses a version the document’s allowedPattern rejects, before any host runs it', async () => {
    await expect(
      fleet.sendRedeploy({
        ...scope,
        service: 'api',
        imageTag: 'v2; rm -rf /',
        documentName: 'chatops-redeploy',
      }),
    ).rejects.toMatchObject({ kind: 'invalid' });
    expect(sim.hostsOf('staging').map((h) => h.running['api'])).toEqual(['v1', 'v1']);
  });

  it('turns throttling, denial and unknown credentials into AwsError kinds', async () => {
    sim.throttleNext(1, /DescribeInstances/);
    await expect(fleet.listInstances(scope)).rejects.toMatchObject({ kind: 'throttled' });
    sim.denyNext(/SSM\.SendCommand/);
    await expect(
      fleet.sendRedeploy({ ...scope, service: 'api', imageTag: 'v2', documentName: 'x-redeploy' }),
    ).rejects.toMatchObject({ kind: 'access-denied' });
    const stranger = new AwsFleetRepository(clientsFor('sandbox-someone-else'));
    await expect(stranger.versionHistory(scope, 'api')).rejects.toMatchObject({
      kind: 'access-denied',
    });
  });

  it('cancels a command: hosts not finished end Cancelled', async () => {
    sim.timing = { deliverMs: 10, redeployMs: 2000 };
    const id = await fleet.sendRedeploy({
      ...scope,
      service: 'api',
      imageTag: 'v2',
      documentName: 'chatops-redeploy',
    });
    await fleet.cancelCommand(id);
    expect((await fleet.listInvocations(id)).map((i) => i.status)).toEqual([
      'Cancelled',
      'Cancelled',
    ]);
  });
});

describe('AwsFleetRepository.loadBalancing against the AWS stand-in', () => {
  let sim: AwsSimulator;
  let fleet: AwsFleetRepository;

  beforeEach(async () => {
    sim = await new AwsSimulator({
      project: 'chatops',
      environments: ['staging', 'prod'],
      services: ['api'],
      hostsPerEnvironment: 3,
      initialVersion: 'v1',
      loadBalanced: ['prod'],
      loadBalancing: {
        deregistrationDelayMs: 50,
        healthCheck: { intervalMs: 20, healthyThreshold: 2, unhealthyThreshold: 2 },
      },
    }).start();
    const { endpoint, region, accessKeyId } = sim;
    fleet = AwsFleetRepository.create({
      region,
      endpoint,
      credentials: { accessKeyId, secretAccessKey: 'sandbox-secret-not-a-real-key' },
    });
  });
  afterEach(() => sim.stop());

  it('reads each host’s group, lifecycle and target health; hosts in no group are left out', async () => {
    const prod = sim.hostsOf('prod').map((h) => h.id);
    const staging = sim.hostsOf('staging').map((h) => h.id);
    const group = sim.loadBalancing.groupOf('prod')!;
    sim.loadBalancing.enterStandby(group.name, prod[1]!);
    const draining = await fleet.loadBalancing([...prod, ...staging]);
    expect(draining.get(prod[1]!)).toEqual({
      group: 'chatops-prod-app',
      lifecycle: 'EnteringStandby',
      targetHealth: 'draining',
    });
    await new Promise((r) => setTimeout(r, 200));
    const states = await fleet.loadBalancing([...prod, ...staging]);
    expect([...states.keys()].sort()).toEqual([...prod].sort());
    expect(states.get(prod[0]!)).toEqual({
      group: 'chatops-prod-app',
      lifecycle: 'InService',
      targetHealth: 'healthy',
    });
    expect(states.get(prod[1]!)).toMatchObject({ lifecycle: 'Standby', targetHealth: 'unused' });
  });

  it('fails as AwsError when AWS refuses, and reads nothing without the clients', async () => {
    sim.denyNext(/AutoScaling\.DescribeAutoScalingInstances/);
    await expect(fleet.loadBalancing(sim.hostsOf('prod').map((h) => h.id))).rejects.toMatchObject({
      kind: 'access-denied',
    });
    const config = sim.sdkConfig();
    const withoutThem = new AwsFleetRepository({
      ssm: new SSMClient(config),
      ec2: new EC2Client(config),
      ecr: new ECRClient(config),
    });
    expect((await withoutThem.loadBalancing(sim.hostsOf('prod').map((h) => h.id))).size).toBe(0);
  });
});
