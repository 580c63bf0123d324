import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  GetParameterHistoryCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { AwsSimulator, type AwsSimState } from './aws-simulator';

/** The stand-in through the real SDK clients (the rest is exercised by @chatops/aws-fleet). */
describe('AwsSimulator', () => {
  let sim: AwsSimulator;
  let ssm: SSMClient;
  let ec2: EC2Client;
  let ecr: ECRClient;

  beforeEach(async () => {
    sim = await new AwsSimulator({
      project: 'chatops',
      environments: ['staging'],
      services: ['api'],
      hostsPerEnvironment: 4,
      timing: { deliverMs: 5, redeployMs: 20 },
      images: ['v1.0.0'],
    }).start();
    const config = sim.sdkConfig();
    ssm = new SSMClient(config);
    ec2 = new EC2Client(config);
    ecr = new ECRClient(config);
  });

  afterEach(async () => {
    ssm.destroy();
    ec2.destroy();
    ecr.destroy();
    await sim.stop();
  });

  it('filters hosts by tag and state through the EC2 Query protocol', async () => {
    const byTag = (environment: string) =>
      ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag:Environment', Values: [environment] },
            { Name: 'instance-state-name', Values: ['running'] },
          ],
        }),
      );
    const staging = await byTag('staging');
    const instances = staging.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    expect(instances).toHaveLength(4);
    expect(instances[0]?.Tags).toContainEqual({ Key: 'Role', Value: 'docker-host' });
    expect((await byTag('prod')).Reservations ?? []).toEqual([]);
  });

  it('runs half the hosts at a time with MaxConcurrency 50%', async () => {
    sim.timing = { deliverMs: 5, redeployMs: 5000 };
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'chatops-redeploy',
        Targets: [{ Key: 'tag:Environment', Values: ['staging'] }],
        Parameters: { service: ['api'], imageTag: ['v2'] },
        MaxConcurrency: '50%',
        MaxErrors: '0',
      }),
    );
    const id = sent.Command?.CommandId ?? '';
    expect(sent.Command?.TargetCount).toBe(4);
    let statuses: (string | undefined)[] = [];
    for (let i = 0; i < 100 && !statuses.includes('InProgress'); i++) {
      await new Promise((r) => setTimeout(r, 10));
      const page = await ssm.send(new ListCommandInvocationsCommand({ CommandId: id }));
      statuses = page.CommandInvocations?.map((i) => i.Status) ?? [];
    }
    expect(statuses).toEqual(['InProgress', 'InProgress', 'Pending', 'Pending']);
  });

  it('lists commands newest first by InvokedAfter and DocumentName, in pages, and rejects an unknown filter', async () => {
    const send = (comment: string) =>
      ssm.send(
        new SendCommandCommand({
          DocumentName: 'chatops-redeploy',
          Targets: [{ Key: 'tag:Environment', Values: ['staging'] }],
          Parameters: { service: ['api'], imageTag: ['v2'] },
          Comment: comment,
        }),
      );
    await send('before');
    await new Promise((r) => setTimeout(r, 20));
    const since = new Date();
    for (const comment of ['first', 'second', 'third']) {
      await send(comment);
      await new Promise((r) => setTimeout(r, 5));
    }
    const page = await ssm.send(
      new ListCommandsCommand({
        Filters: [
          { key: 'InvokedAfter', value: since.toISOString() },
          { key: 'DocumentName', value: 'chatops-redeploy' },
        ],
        MaxResults: 2,
      }),
    );
    expect(page.Commands?.map((c) => c.Comment)).toEqual(['third', 'second']);
    expect(page.Commands?.[0]?.RequestedDateTime).toBeInstanceOf(Date);
    const next = await ssm.send(
      new ListCommandsCommand({
        Filters: [{ key: 'InvokedAfter', value: since.toISOString() }],
        MaxResults: 2,
        NextToken: page.NextToken,
      }),
    );
    expect(next.Commands?.map((c) => c.Comment)).toEqual(['first']);
    expect(next.NextToken).toBeUndefined();
    await expect(
      ssm.send(new ListCommandsCommand({ Filters: [{ key: 'Nope' as never, value: 'x' }] })),
    ).rejects.toMatchObject({ name: 'InvalidFilterKey' });
  });

  it('carries out a held call but never answers it, as when its caller dies mid-call', async () => {
    sim.holdNextAnswer(/^SSM\.SendCommand$/);
    const held = ssm.send(
      new SendCommandCommand({
        DocumentName: 'chatops-redeploy',
        Targets: [{ Key: 'tag:Environment', Values: ['staging'] }],
        Parameters: { service: ['api'], imageTag: ['v3'] },
        Comment: 'held [marker]',
      }),
      { abortSignal: AbortSignal.timeout(300) },
    );
    await expect(held).rejects.toThrow();
    const listed = await ssm.send(new ListCommandsCommand({}));
    expect(listed.Commands?.map((c) => c.Comment)).toEqual(['held [marker]']);
  });

  it('rejects parameters that miss the document’s allowedPattern', async () => {
    await expect(
      ssm.send(
        new SendCommandCommand({
          DocumentName: 'chatops-redeploy',
          Parameters: { service: ['api'], imageTag: ['$(reboot)'] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameters' });
  });

  it('keeps each parameter version and pages its history', async () => {
    for (let v = 1; v <= 60; v++)
      await ssm.send(
        new PutParameterCommand({ Name: '/p/x', Value: `v${v}`, Type: 'String', Overwrite: true }),
      );
    const first = await ssm.send(new GetParameterHistoryCommand({ Name: '/p/x' }));
    expect(first.Parameters).toHaveLength(50);
    expect(first.Parameters?.[0]).toMatchObject({ Version: 1, Value: 'v1' });
    const second = await ssm.send(
      new GetParameterHistoryCommand({ Name: '/p/x', NextToken: first.NextToken }),
    );
    expect(second.Parameters?.map((p) => p.Version)).toEqual([
      51, 52, 53, 54, 55, 56, 57, 58, 59, 60,
    ]);
    await expect(
      ssm.send(new PutParameterCommand({ Name: '/p/x', Value: 'no', Type: 'String' })),
    ).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
  });

  it('describes ECR images by tag or digest, and fails the call as ECR does for a missing one', async () => {
    const describe = (imageIds: { imageTag?: string; imageDigest?: string }[]) =>
      ecr.send(new DescribeImagesCommand({ repositoryName: 'chatops-api', imageIds }));
    const found = await describe([{ imageTag: 'v1.0.0' }]);
    expect(found.imageDetails).toEqual([
      expect.objectContaining({
        registryId: '123456789012',
        repositoryName: 'chatops-api',
        imageTags: ['v1.0.0'],
        imageDigest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
        imagePushedAt: expect.any(Date),
      }),
    ]);
    const digest = found.imageDetails?.[0]?.imageDigest;
    expect((await describe([{ imageDigest: digest }])).imageDetails?.[0]?.imageTags).toEqual([
      'v1.0.0',
    ]);
    await expect(describe([{ imageTag: 'v1.0.0' }, { imageTag: 'v9' }])).rejects.toMatchObject({
      name: 'ImageNotFoundException',
    });
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'chatops-nope' })),
    ).rejects.toMatchObject({ name: 'RepositoryNotFoundException' });
    // A deploy pushes its image before it records the version.
    sim.applyDeploy('staging', 'api', 'v2.0.0');
    expect((await describe([{ imageTag: 'v2.0.0' }])).imageDetails).toHaveLength(1);
    sim.deleteImage('api', 'v2.0.0');
    await expect(describe([{ imageTag: 'v2.0.0' }])).rejects.toMatchObject({
      name: 'ImageNotFoundException',
    });
  });

  it('takes faults over its control plane: a throttled action in its protocol’s words, then an outage', async () => {
    const control = (body: unknown) =>
      fetch(`${sim.endpoint}/_sim/aws/faults`, { method: 'POST', body: JSON.stringify(body) });
    expect((await control({ route: 'SSM\\.GetParameterHistory', status: 429 })).status).toBe(200);
    await expect(
      ssm.send(new GetParameterHistoryCommand({ Name: '/chatops/staging/api/image' })),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect((await control({ outageMs: 60_000 })).status).toBe(200);
    await expect(
      ssm.send(new GetParameterHistoryCommand({ Name: '/chatops/staging/api/image' })),
    ).rejects.toThrow();
    await fetch(`${sim.endpoint}/_sim/aws/faults`, { method: 'DELETE' });
    // Answered again (nothing was deployed in this stand-in, so: not found).
    await expect(
      ssm.send(new GetParameterHistoryCommand({ Name: '/chatops/staging/api/image' })),
    ).rejects.toMatchObject({ name: 'ParameterNotFound' });
  });

  it('refuses credentials it was not given', async () => {
    const stranger = new SSMClient({
      endpoint: sim.endpoint,
      region: sim.region,
      credentials: { accessKeyId: 'sandbox-someone-else', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await expect(
      stranger.send(new GetParameterHistoryCommand({ Name: '/p/x' })),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    stranger.destroy();
  });

  it('saves on every change; a restored stand-in keeps hosts, history and finishes a rolling command', async () => {
    await sim.stop();
    let saved: AwsSimState | null = null;
    const options = {
      project: 'chatops',
      environments: ['staging'],
      services: ['api'],
      hostsPerEnvironment: 2,
      initialVersion: 'v1',
      timing: { deliverMs: 5, redeployMs: 300 },
    };
    const first: AwsSimulator = await new AwsSimulator({
      ...options,
      onChange: () => (saved = first.snapshot()),
    }).start();
    sim = first;
    const client = (target: AwsSimulator) => new SSMClient(target.sdkConfig());
    const before = client(first);
    first.pushImage('api', 'v7-pushed-by-hand');
    await before.send(
      new PutParameterCommand({
        Name: '/chatops/staging/api/image',
        Value: 'v2',
        Type: 'String',
        Overwrite: true,
      }),
    );
    const sent = await before.send(
      new SendCommandCommand({
        DocumentName: 'chatops-redeploy',
        Targets: [{ Key: 'tag:Environment', Values: ['staging'] }],
        Parameters: { service: ['api'], imageTag: ['v2'] },
        MaxConcurrency: '1',
        MaxErrors: '0',
      }),
    );
    const id = sent.Command?.CommandId ?? '';
    // Saved before SendCommand answered.
    expect(saved!.commands.map((c) => c.id)).toEqual([id]);
    before.destroy();
    await first.stop();

    const second = await new AwsSimulator({
      ...options,
      timing: { deliverMs: 5, redeployMs: 5 },
      state: JSON.parse(JSON.stringify(saved)) as AwsSimState,
    }).start();
    sim = second;
    const after = client(second);
    try {
      const history = await after.send(
        new GetParameterHistoryCommand({ Name: '/chatops/staging/api/image' }),
      );
      expect(history.Parameters?.map((p) => p.Value)).toEqual(['v1', 'v2']);
      expect(second.hosts[0]?.launchedAt).toBeInstanceOf(Date);
      const images = async (target: AwsSimulator) => {
        const registry = new ECRClient(target.sdkConfig());
        const answer = await registry.send(
          new DescribeImagesCommand({ repositoryName: 'chatops-api' }),
        );
        registry.destroy();
        return answer.imageDetails?.flatMap((i) => i.imageTags ?? []).sort();
      };
      expect(await images(second)).toEqual(['v1', 'v2', 'v7-pushed-by-hand']);
      // A state saved before the stand-in had ECR: what the history names was pushed.
      const older = { ...(JSON.parse(JSON.stringify(saved)) as AwsSimState) };
      delete older.images;
      const third = await new AwsSimulator({ ...options, state: older }).start();
      try {
        expect(await images(third)).toEqual(['v1', 'v2']);
      } finally {
        await third.stop();
      }
      second.resume();
      let statuses: (string | undefined)[] = [];
      for (let i = 0; i < 200 && statuses.join() !== 'Success,Success'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        const page = await after.send(new ListCommandInvocationsCommand({ CommandId: id }));
        statuses = page.CommandInvocations?.map((i) => i.Status) ?? [];
      }
      expect(statuses).toEqual(['Success', 'Success']);
      expect(second.hosts.map((h) => h.running['api'])).toEqual(['v2', 'v2']);
    } finally {
      after.destroy();
    }
  });

  it('refuses a state of another version', () => {
    expect(
      () =>
        new AwsSimulator({
          project: 'chatops',
          environments: ['staging'],
          services: ['api'],
          state: { ...sim.snapshot(), version: 2 as 1 },
        }),
    ).toThrow('AWS stand-in state version 2 is not 1');
  });
});
