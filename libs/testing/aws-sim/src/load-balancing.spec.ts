import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CancelCommandCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { AwsSimulator } from './aws-simulator';

/** The groups and target groups through the real SDK clients (the Query protocol's XML). */
describe('AwsSimulator load balancing', () => {
  let sim: AwsSimulator;
  let autoscaling: AutoScalingClient;
  let elb: ElasticLoadBalancingV2Client;
  let healthy: Set<string>;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function start(state?: ReturnType<AwsSimulator['snapshot']>) {
    sim = await new AwsSimulator({
      project: 'chatops',
      environments: ['staging', 'prod'],
      services: ['api', 'bot'],
      hostsPerEnvironment: 3,
      initialVersion: 'v1',
      images: ['v2'],
      loadBalanced: ['prod'],
      loadBalancing: {
        deregistrationDelayMs: 200,
        healthCheck: { intervalMs: 50, healthyThreshold: 2, unhealthyThreshold: 2 },
        probe: (id) => healthy.has(id),
      },
      timing: { deliverMs: 10, redeployMs: 100 },
      ...(state ? { state } : {}),
    }).start();
    autoscaling = new AutoScalingClient(sim.sdkConfig());
    elb = new ElasticLoadBalancingV2Client(sim.sdkConfig());
  }

  beforeEach(async () => {
    healthy = new Set();
    await start();
    for (const host of sim.hosts) healthy.add(host.id);
  });
  afterEach(() => sim.stop());

  const prodIds = () => sim.hostsOf('prod').map((h) => h.id);
  const group = () => sim.loadBalancing.groupOf('prod')!;
  async function lifecycle(id: string) {
    const answer = await autoscaling.send(
      new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }),
    );
    return answer.AutoScalingInstances?.[0]?.LifecycleState;
  }
  async function target(id: string) {
    const answer = await elb.send(
      new DescribeTargetHealthCommand({
        TargetGroupArn: group().targetGroupArn,
        Targets: [{ Id: id }],
      }),
    );
    return answer.TargetHealthDescriptions?.[0]?.TargetHealth;
  }
  function standby(id: string) {
    return autoscaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: group().name,
        InstanceIds: [id],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
  }
  async function eventually(check: () => Promise<boolean>, ms = 3000) {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await sleep(20);
    }
  }

  it('describes the group of a load-balanced environment with its target group, one below the count as minimum', async () => {
    const answer = await autoscaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group().name] }),
    );
    const described = answer.AutoScalingGroups?.[0];
    expect(described).toMatchObject({
      AutoScalingGroupName: 'chatops-prod-app',
      MinSize: 2,
      DesiredCapacity: 3,
      TargetGroupARNs: [group().targetGroupArn],
      HealthCheckType: 'ELB',
    });
    expect(described?.Instances?.map((i) => i.LifecycleState)).toEqual([
      'InService',
      'InService',
      'InService',
    ]);
    expect(sim.loadBalancing.groupOf('staging')).toBeNull();
    const all = await elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: group().targetGroupArn }),
    );
    expect(all.TargetHealthDescriptions?.map((d) => [d.Target?.Id, d.TargetHealth?.State])).toEqual(
      prodIds()
        .sort()
        .map((id) => [id, 'healthy']),
    );
  });

  it('standby drains the target for the deregistration delay, then leaves the target group; exit registers it again', async () => {
    const [id] = prodIds();
    await standby(id!);
    expect(await lifecycle(id!)).toBe('EnteringStandby');
    expect(await target(id!)).toMatchObject({
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
    });
    expect(sim.loadBalancing.routable('prod')).not.toContain(id);
    await eventually(async () => (await lifecycle(id!)) === 'Standby');
    expect(await target(id!)).toMatchObject({ State: 'unused', Reason: 'Target.NotRegistered' });
    const groups = await autoscaling.send(new DescribeAutoScalingGroupsCommand({}));
    expect(groups.AutoScalingGroups?.[0]?.DesiredCapacity).toBe(2);

    await autoscaling.send(
      new ExitStandbyCommand({ AutoScalingGroupName: group().name, InstanceIds: [id!] }),
    );
    expect((await target(id!))?.State).toBe('initial');
    expect(sim.loadBalancing.routable('prod')).not.toContain(id);
    await eventually(async () => (await target(id!))?.State === 'healthy');
    expect(await lifecycle(id!)).toBe('InService');
    expect(sim.loadBalancing.routable('prod')).toContain(id);
  });

  it('a target failing its checks turns unhealthy and gets no traffic', async () => {
    const [id] = prodIds();
    healthy.delete(id!);
    await eventually(async () => (await target(id!))?.State === 'unhealthy');
    expect(await target(id!)).toMatchObject({ Reason: 'Target.FailedHealthChecks' });
    expect(sim.loadBalancing.routable('prod')).toEqual(prodIds().slice(1).sort());
  });

  it('refuses what AWS refuses, in the Query protocol’s words', async () => {
    const [first, second] = prodIds();
    await standby(first!);
    // Desired 2 is the minimum: a second host on standby would go below it.
    await expect(standby(second!)).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('below its minimum size 2'),
    });
    await expect(standby(first!)).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(
      autoscaling.send(
        new ExitStandbyCommand({ AutoScalingGroupName: group().name, InstanceIds: [second!] }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('not in Standby'),
    });
    await expect(
      autoscaling.send(
        new ExitStandbyCommand({ AutoScalingGroupName: 'other-group', InstanceIds: [first!] }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(
      elb.send(
        new DescribeTargetHealthCommand({
          TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/x/1',
        }),
      ),
    ).rejects.toMatchObject({ name: 'TargetGroupNotFoundException' });
    const stranger = new AutoScalingClient(sim.sdkConfig('AKIDSTRANGER'));
    await expect(stranger.send(new DescribeAutoScalingGroupsCommand({}))).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
    });
    sim.denyNext(/^AutoScaling\.EnterStandby$/);
    await expect(standby(second!)).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('a host left on standby stays there across a restart of the stand-in', async () => {
    const [id] = prodIds();
    await standby(id!);
    const state = sim.snapshot();
    await sim.stop();
    await start(state);
    expect(await lifecycle(id!)).toBe('Standby');
    expect((await target(id!))?.State).toBe('unused');
    expect(sim.loadBalancing.routable('prod')).toHaveLength(2);
  });

  /** A stand-in whose hosts run its own model of redeploy.sh (passing unless restarting). */
  async function startModel(redeployMs = 100) {
    await sim.stop();
    sim = await new AwsSimulator({
      project: 'chatops',
      environments: ['prod'],
      services: ['api'],
      hostsPerEnvironment: 3,
      initialVersion: 'v1',
      images: ['v2'],
      loadBalanced: ['prod'],
      loadBalancing: {
        deregistrationDelayMs: 60,
        healthCheck: { intervalMs: 30, healthyThreshold: 2, unhealthyThreshold: 2 },
      },
      timing: { deliverMs: 10, redeployMs },
    }).start();
  }

  /** Sends the redeploy of api to prod, rolling; returns the command id. */
  async function send(client: SSMClient, tag: string): Promise<string> {
    const sent = await client.send(
      new SendCommandCommand({
        DocumentName: 'chatops-redeploy',
        Targets: [{ Key: 'tag:Environment', Values: ['prod'] }],
        Parameters: { service: ['api'], imageTag: [tag] },
        MaxConcurrency: '1',
        MaxErrors: '0',
      }),
    );
    return sent.Command!.CommandId!;
  }

  /** Each host's status once every invocation of the command has ended. */
  async function ended(client: SSMClient, commandId: string) {
    let invocations: { InstanceId?: string; Status?: string }[] = [];
    await eventually(async () => {
      const answer = await client.send(new ListCommandInvocationsCommand({ CommandId: commandId }));
      invocations = answer.CommandInvocations ?? [];
      return invocations.every((i) => ['Success', 'Failed', 'Cancelled'].includes(i.Status ?? ''));
    }, 10_000);
    return Object.fromEntries(invocations.map((i) => [i.InstanceId, i.Status]));
  }

  /** Rolls api on prod to `tag` and waits until every host has ended. */
  async function roll(tag: string): Promise<Record<string, string | undefined>> {
    const client = new SSMClient(sim.sdkConfig());
    const statuses = await ended(client, await send(client, tag));
    client.destroy();
    return statuses;
  }

  it('its model of redeploy.sh rolls api one host at a time, each out of service while it restarts', async () => {
    await startModel();
    const ids = prodIds();
    const outOfService: string[][] = [];
    const watch = setInterval(() => {
      outOfService.push(ids.filter((id) => !sim.loadBalancing.routable('prod').includes(id)));
    }, 10);
    const statuses = await roll('v2');
    clearInterval(watch);
    expect(Object.values(statuses)).toEqual(['Success', 'Success', 'Success']);
    expect(sim.hostsOf('prod').map((h) => h.running['api'])).toEqual(['v2', 'v2', 'v2']);
    // Never more than one host out at once, and each was out at some point.
    expect(Math.max(...outOfService.map((out) => out.length))).toBe(1);
    expect(new Set(outOfService.flat())).toEqual(new Set(ids));
    expect(sim.loadBalancing.routable('prod')).toEqual([...ids].sort());
  });

  it('its model stops where a cancel finds it, as a killed script would: that host stays out of service', async () => {
    await startModel(600);
    const [first] = prodIds();
    const client = new SSMClient(sim.sdkConfig());
    const commandId = await send(client, 'v2');
    await eventually(async () => sim.loadBalancing.lifecycleOf(first!) === 'Standby');
    await client.send(new CancelCommandCommand({ CommandId: commandId }));
    expect(Object.values(await ended(client, commandId))).toEqual([
      'Cancelled',
      'Cancelled',
      'Cancelled',
    ]);
    // Past the restart it would have made and the return to service.
    await sleep(800);
    expect(sim.loadBalancing.lifecycleOf(first!)).toBe('Standby');
    expect(sim.hostsOf('prod').map((h) => h.running['api'])).toEqual(['v1', 'v1', 'v1']);
    client.destroy();
  });

  it('its model leaves a host that fails on standby, stops the roll there, and the next roll returns it first', async () => {
    await startModel();
    const [first, second, third] = [...prodIds()];
    sim.failNext(second);
    expect(await roll('v2')).toEqual({
      [first!]: 'Success',
      [second!]: 'Failed',
      [third!]: 'Cancelled',
    });
    expect(sim.loadBalancing.lifecycleOf(second!)).toBe('Standby');
    expect(sim.loadBalancing.routable('prod')).toEqual([first!, third!].sort());

    // The next roll finds the group at its minimum: the host left out returns first.
    expect(Object.values(await roll('v2'))).toEqual(['Success', 'Success', 'Success']);
    expect(sim.hostsOf('prod').map((h) => h.running['api'])).toEqual(['v2', 'v2', 'v2']);
    expect(sim.loadBalancing.routable('prod')).toEqual([first!, second!, third!].sort());
  });
});
