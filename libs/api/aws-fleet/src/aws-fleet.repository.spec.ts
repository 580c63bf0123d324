import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterHistoryCommand,
  ListCommandInvocationsCommand,
  CancelCommandCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsError, AwsFleetRepository } from './aws-fleet.repository';

const ssm = mockClient(SSMClient);
const ec2 = mockClient(EC2Client);
const scope = { project: 'chatops', environment: 'staging' };
let sleeps: number[];
let fleet: AwsFleetRepository;

beforeEach(() => {
  ssm.reset();
  ec2.reset();
  sleeps = [];
  fleet = new AwsFleetRepository({
    ssm: new SSMClient({ region: 'eu-west-1' }),
    ec2: new EC2Client({ region: 'eu-west-1' }),
    ecr: new ECRClient({ region: 'eu-west-1' }),
    pollMs: { initial: 100, max: 800 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
});

const awsError = (name: string) => Object.assign(new Error(name), { name });

describe('AwsFleetRepository', () => {
  it('lists the environment’s hosts by tag across pages, with their SSM ping', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [
          {
            Instances: [
              {
                InstanceId: 'i-b',
                State: { Name: 'running' },
                Placement: { AvailabilityZone: 'eu-west-1b' },
                ImageId: 'ami-2',
                LaunchTime: new Date('2026-11-20T10:00:00Z'),
              },
            ],
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Reservations: [
          { Instances: [{ InstanceId: 'i-a', State: { Name: 'running' }, ImageId: 'ami-1' }] },
        ],
      });
    ssm.on(DescribeInstanceInformationCommand).resolves({
      InstanceInformationList: [{ InstanceId: 'i-b', PingStatus: 'ConnectionLost' }],
    });
    expect(await fleet.listInstances(scope)).toEqual([
      {
        id: 'i-a',
        state: 'running',
        availabilityZone: null,
        amiId: 'ami-1',
        launchedAt: null,
        ssmPing: 'unregistered',
      },
      {
        id: 'i-b',
        state: 'running',
        availabilityZone: 'eu-west-1b',
        amiId: 'ami-2',
        launchedAt: '2026-11-20T10:00:00.000Z',
        ssmPing: 'ConnectionLost',
      },
    ]);
    const filters = ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters;
    expect(filters).toEqual(
      expect.arrayContaining([
        { Name: 'tag:Project', Values: ['chatops'] },
        { Name: 'tag:Environment', Values: ['staging'] },
        { Name: 'tag:Role', Values: ['docker-host'] },
      ]),
    );
    expect(ec2.commandCalls(DescribeInstancesCommand)[1]?.args[0].input.NextToken).toBe('page-2');
  });

  it('sends the redeploy document to hosts by tag, rolling one at a time and stopping at the first failure', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    expect(
      await fleet.sendRedeploy({
        ...scope,
        service: 'api',
        imageTag: 'v2',
        documentName: 'chatops-redeploy',
      }),
    ).toBe('cmd-1');
    expect(ssm.commandCalls(SendCommandCommand)[0]?.args[0].input).toMatchObject({
      DocumentName: 'chatops-redeploy',
      Targets: [
        { Key: 'tag:Project', Values: ['chatops'] },
        { Key: 'tag:Environment', Values: ['staging'] },
        { Key: 'tag:Role', Values: ['docker-host'] },
      ],
      Parameters: { service: ['api'], imageTag: ['v2'] },
      MaxConcurrency: '1',
      MaxErrors: '0',
    });
  });

  it('follows invocations to the end with growing pauses and reports each change', async () => {
    ssm
      .on(ListCommandInvocationsCommand)
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-a', Status: 'Pending' }] })
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-a', Status: 'InProgress' }] })
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-a', Status: 'InProgress' }] })
      .resolves({ CommandInvocations: [{ InstanceId: 'i-a', Status: 'Success' }] });
    const seen: string[] = [];
    const result = await fleet.followCommand('cmd-1', (invocations) =>
      seen.push(invocations.map((i) => i.status).join(',')),
    );
    expect(seen).toEqual(['Pending', 'InProgress', 'Success']);
    expect(result).toEqual([
      expect.objectContaining({ instanceId: 'i-a', status: 'Success', outputTail: null }),
    ]);
    expect(sleeps).toEqual([100, 150, 225]);
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0);
  });

  it('reports a partial failure per instance with the failed one’s output tail', async () => {
    ssm.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: 'i-b', Status: 'Failed' },
        { InstanceId: 'i-a', Status: 'Success' },
      ],
    });
    ssm.on(GetCommandInvocationCommand, { InstanceId: 'i-b' }).resolves({
      StandardOutputContent: `${'x'.repeat(5000)}\nredeploy: error: v2 was unhealthy; rolled back to v1`,
    });
    const result = await fleet.followCommand('cmd-2');
    expect(result.map((r) => [r.instanceId, r.status])).toEqual([
      ['i-a', 'Success'],
      ['i-b', 'Failed'],
    ]);
    expect(result[1]?.outputTail).toHaveLength(2000);
    expect(result[1]?.outputTail).toMatch(/rolled back to v1$/);
  });

  it('reads when each host started and finished from the document step, with Details', async () => {
    ssm.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        {
          InstanceId: 'i-a',
          Status: 'Success',
          CommandPlugins: [
            {
              ResponseStartDateTime: new Date('2026-11-21T10:00:00Z'),
              ResponseFinishDateTime: new Date('2026-11-21T10:00:12Z'),
            },
          ],
        },
        {
          InstanceId: 'i-b',
          Status: 'InProgress',
          CommandPlugins: [{ ResponseStartDateTime: new Date('2026-11-21T10:00:12Z') }],
        },
      ],
    });
    expect(await fleet.listInvocations('cmd-4')).toEqual([
      {
        instanceId: 'i-a',
        status: 'Success',
        startedAt: '2026-11-21T10:00:00.000Z',
        finishedAt: '2026-11-21T10:00:12.000Z',
        outputTail: null,
      },
      {
        instanceId: 'i-b',
        status: 'InProgress',
        startedAt: '2026-11-21T10:00:12.000Z',
        finishedAt: null,
        outputTail: null,
      },
    ]);
    expect(ssm.commandCalls(ListCommandInvocationsCommand)[0]?.args[0].input).toMatchObject({
      CommandId: 'cmd-4',
      Details: true,
    });
  });

  it('cancels a command, and says so clearly when AWS refuses', async () => {
    ssm.on(CancelCommandCommand).resolvesOnce({}).rejects(awsError('InvalidCommandId'));
    await fleet.cancelCommand('cmd-5');
    expect(ssm.commandCalls(CancelCommandCommand)[0]?.args[0].input).toEqual({
      CommandId: 'cmd-5',
    });
    await expect(fleet.cancelCommand('cmd-6')).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('backs off when throttled while following, then carries on', async () => {
    ssm
      .on(ListCommandInvocationsCommand)
      .rejectsOnce(awsError('ThrottlingException'))
      .rejectsOnce(awsError('ThrottlingException'))
      .resolves({ CommandInvocations: [{ InstanceId: 'i-a', Status: 'Success' }] });
    expect((await fleet.followCommand('cmd-3'))[0]?.status).toBe('Success');
    expect(sleeps).toEqual([200, 400]);
  });

  it.each([
    ['ThrottlingException', 'throttled', /throttling us/],
    [
      'AccessDeniedException',
      'access-denied',
      /denied the platform's role permission to send the redeploy command/,
    ],
    ['InvalidDocument', 'not-found', /found nothing/],
    ['InternalServerError', 'unavailable', /failed when trying to send the redeploy command/],
  ])('turns %s into a clear %s error', async (name, kind, message) => {
    ssm.on(SendCommandCommand).rejects(awsError(name));
    const error = await fleet
      .sendRedeploy({ ...scope, service: 'api', imageTag: 'v2', documentName: 'd' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsError);
    expect(error).toMatchObject({ kind });
    expect((error as Error).message).toMatch(message);
  });

  it('asks ECR for one image by tag, or by digest for a sha256: version', async () => {
    const ecr = mockClient(ECRClient);
    const repository = { registryId: '123456789012', region: 'eu-west-1', repositoryName: 'api' };
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: 'sha256:x' }] });
    expect(await fleet.imageDigest(repository, 'v1')).toBe('sha256:x');
    const digest = `sha256:${'b'.repeat(64)}`;
    expect(await fleet.imageDigest(repository, digest)).toBe('sha256:x');
    expect(ecr.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input)).toEqual([
      { registryId: '123456789012', repositoryName: 'api', imageIds: [{ imageTag: 'v1' }] },
      { registryId: '123456789012', repositoryName: 'api', imageIds: [{ imageDigest: digest }] },
    ]);
    ecr.on(DescribeImagesCommand).rejects(awsError('ImageNotFoundException'));
    expect(await fleet.imageDigest(repository, 'v2')).toBeNull();
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });
    expect(await fleet.imageDigest(repository, 'v2')).toBeNull();
    ecr.on(DescribeImagesCommand).rejects(awsError('AccessDeniedException'));
    await expect(fleet.imageDigest(repository, 'v2')).rejects.toMatchObject({
      kind: 'access-denied',
      message: "AWS denied the platform's role permission to look the image up in ECR",
    });
    ecr.restore();
  });

  it('keeps desired versions in Parameter Store; its history is the deploy history', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 3 });
    expect(await fleet.setDesiredVersion(scope, 'api', 'v3')).toBe(3);
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/chatops/staging/api/image',
      Value: 'v3',
      Type: 'String',
      Overwrite: true,
    });
    ssm
      .on(GetParameterHistoryCommand)
      .resolvesOnce({ Parameters: [{ Version: 1, Value: 'v1' }], NextToken: 'n' })
      .resolvesOnce({
        Parameters: [
          { Version: 2, Value: 'v2', LastModifiedUser: 'arn:aws:sts::1:assumed-role/deploy' },
        ],
      });
    expect((await fleet.versionHistory(scope, 'api')).map((r) => [r.version, r.value])).toEqual([
      [2, 'v2'],
      [1, 'v1'],
    ]);
  });
});
