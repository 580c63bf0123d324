import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeInstancesCommand,
  EC2Client,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import {
  CancelCommandCommand,
  DescribeDocumentCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterHistoryCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { ecrImageIdOf, type EcrRepository, type HostLoadBalancing } from '@chatops/domain';

/** Tags every Docker host carries (set by Terraform): which project, environment and role. */
export interface FleetScope {
  project: string;
  environment: string;
  /** Default `docker-host`. */
  role?: string;
}

export interface FleetInstance {
  id: string;
  state: string;
  availabilityZone: string | null;
  amiId: string | null;
  launchedAt: string | null;
  /** SSM agent ping: Online, ConnectionLost, Inactive, or `unregistered` when SSM does not know it. */
  ssmPing: string;
  /** Its place behind the load balancer (`loadBalancing`); absent from `listInstances`. */
  loadBalancer?: HostLoadBalancing | null;
}

export interface RedeployCommand extends FleetScope {
  service: string;
  imageTag: string;
  /** The SSM Command document (Terraform names it). */
  documentName: string;
  /** Rolling: how many hosts at once (`1`, `50%`) and how many may fail before SSM stops. */
  maxConcurrency?: string;
  maxErrors?: string;
  comment?: string;
}

export interface InvocationResult {
  instanceId: string;
  /** Pending, InProgress, Success, Failed, TimedOut, Cancelled… as SSM reports it. */
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The end of the script's output, fetched for failed invocations only. */
  outputTail: string | null;
}

export interface VersionRecord {
  version: number;
  value: string;
  modifiedAt: string | null;
  modifiedBy: string | null;
}

export type AwsErrorKind = 'throttled' | 'access-denied' | 'not-found' | 'invalid' | 'unavailable';

/** AWS refused or failed; `message` is safe to show a user. */
export class AwsError extends Error {
  constructor(
    readonly kind: AwsErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

export interface AwsFleetOptions {
  ssm: SSMClient;
  ec2: EC2Client;
  /** Where the images are: a redeploy checks its image exists before any host is told. */
  ecr: ECRClient;
  /** The hosts' Auto Scaling groups and the ALB's target groups (`/status`); without them, none is shown. */
  autoscaling?: AutoScalingClient;
  elb?: ElasticLoadBalancingV2Client;
  /** Waiting for invocations: first and largest pause between polls (defaults 1 s, 10 s). */
  pollMs?: { initial: number; max: number };
  /** Characters of output kept for a failed invocation (default 2,000). */
  outputTailChars?: number;
  sleep?: (ms: number) => Promise<void>;
}

const TERMINAL = new Set([
  'Success',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Undeliverable',
  'Terminated',
]);
const DEFAULT_ROLE = 'docker-host';
/**
 * The value infra/modules/ssm creates each desired-version parameter with, before any deploy. Not
 * a version: the history leaves it out (nothing to roll back to), and the hosts skip it at boot.
 */
export const NOT_DEPLOYED = 'none';

/**
 * What the platform needs of an environment's Docker hosts: the port its services depend on
 * (AwsFleetRepository is the adapter; tests may pass another).
 */
export interface FleetRepository {
  /** The environment's hosts by tag, with their SSM reachability. */
  listInstances(scope: FleetScope): Promise<FleetInstance[]>;
  /** Where each host stands behind the load balancer (hosts in no group are left out). */
  loadBalancing(instanceIds: readonly string[]): Promise<Map<string, HostLoadBalancing>>;
  /** The digest of the image a version names in ECR, or null when ECR holds none. */
  imageDigest(repository: EcrRepository, version: string): Promise<string | null>;
  documentExists(name: string): Promise<boolean>;
  /** Sends the redeploy document to the environment's hosts; returns the command id. */
  sendRedeploy(command: RedeployCommand): Promise<string>;
  /** Follows a command until every invocation has ended, reporting each change. */
  followCommand(
    commandId: string,
    onProgress?: (invocations: InvocationResult[]) => void,
  ): Promise<InvocationResult[]>;
  /** Writes the desired version; returns the parameter's new version. */
  setDesiredVersion(scope: FleetScope, service: string, imageTag: string): Promise<number>;
  parameterExists(scope: FleetScope, service: string): Promise<boolean>;
  /** Newest first: the deploy history of a service in an environment. */
  versionHistory(scope: FleetScope, service: string): Promise<VersionRecord[]>;
  /** The command sent with `marker` in its comment since `since`, if SSM has one. */
  findCommandByComment(
    documentName: string,
    marker: string,
    since: number,
    maxPages?: number,
  ): Promise<string | null>;
  /** One look at a command's invocations, per instance. */
  listInvocations(commandId: string): Promise<InvocationResult[]>;
  cancelCommand(commandId: string): Promise<void>;
  /** The end of what the script printed on one host; null when unreadable. */
  outputTail(commandId: string, instanceId: string): Promise<string | null>;
}

/**
 * The Docker hosts of an environment over EC2 and SSM: the only place AWS clients are used.
 * Desired versions live in Parameter Store at `/<project>/<environment>/<service>/image`; its
 * history is the deploy history.
 */
export class AwsFleetRepository implements FleetRepository {
  private readonly pollMs: { initial: number; max: number };
  private readonly tailChars: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: AwsFleetOptions) {
    this.pollMs = options.pollMs ?? { initial: 1000, max: 10_000 };
    this.tailChars = options.outputTailChars ?? 2000;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * The clients from the environment's credentials (instance role, AWS_* variables); `endpoint`
   * points both at another server (the sandbox's stand-in), as AWS_ENDPOINT_URL would.
   */
  static create(options: {
    region: string;
    endpoint?: string;
    /** Default: the SDK's chain (environment, instance role). */
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    pollMs?: { initial: number; max: number };
  }): AwsFleetRepository {
    const config = {
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    return new AwsFleetRepository({
      ssm: new SSMClient(config),
      ec2: new EC2Client(config),
      ecr: new ECRClient(config),
      autoscaling: new AutoScalingClient(config),
      elb: new ElasticLoadBalancingV2Client(config),
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    });
  }

  static parameterName(project: string, environment: string, service: string): string {
    return `/${project}/${environment}/${service}/image`;
  }

  async listInstances(scope: FleetScope): Promise<FleetInstance[]> {
    const instances: Ec2Instance[] = [];
    let token: string | undefined;
    do {
      const page = await call('list the hosts', () =>
        this.options.ec2.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: 'tag:Project', Values: [scope.project] },
              { Name: 'tag:Environment', Values: [scope.environment] },
              { Name: 'tag:Role', Values: [scope.role ?? DEFAULT_ROLE] },
              {
                Name: 'instance-state-name',
                Values: ['pending', 'running', 'stopping', 'stopped'],
              },
            ],
            NextToken: token,
          }),
        ),
      );
      for (const reservation of page.Reservations ?? [])
        instances.push(...(reservation.Instances ?? []));
      token = page.NextToken;
    } while (token);
    const ids = instances.map((i) => i.InstanceId).filter((id): id is string => Boolean(id));
    const ping = new Map<string, string>();
    if (ids.length) {
      let next: string | undefined;
      do {
        const page = await call('read the SSM agents’ status', () =>
          this.options.ssm.send(
            new DescribeInstanceInformationCommand({
              Filters: [{ Key: 'InstanceIds', Values: ids }],
              NextToken: next,
            }),
          ),
        );
        for (const info of page.InstanceInformationList ?? [])
          if (info.InstanceId) ping.set(info.InstanceId, info.PingStatus ?? 'unknown');
        next = page.NextToken;
      } while (next);
    }
    return instances
      .map((i) => ({
        id: i.InstanceId ?? '?',
        state: i.State?.Name ?? 'unknown',
        availabilityZone: i.Placement?.AvailabilityZone ?? null,
        amiId: i.ImageId ?? null,
        launchedAt: i.LaunchTime ? i.LaunchTime.toISOString() : null,
        ssmPing: ping.get(i.InstanceId ?? '') ?? 'unregistered',
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Where each host stands behind the load balancer: its Auto Scaling group and lifecycle state
   * (InService, Standby…) and, for groups attached to a target group, that group's health verdict
   * (a registered host missing from it is `unused`). Hosts in no group are left out.
   */
  async loadBalancing(instanceIds: readonly string[]): Promise<Map<string, HostLoadBalancing>> {
    const { autoscaling, elb } = this.options;
    const result = new Map<string, HostLoadBalancing>();
    if (!autoscaling || !elb || !instanceIds.length) return result;
    const members: { id: string; group: string; lifecycle: string }[] = [];
    // DescribeAutoScalingInstances takes at most 50 ids per call.
    for (let i = 0; i < instanceIds.length; i += 50) {
      let token: string | undefined;
      do {
        const page = await call('read the hosts’ Auto Scaling groups', () =>
          autoscaling.send(
            new DescribeAutoScalingInstancesCommand({
              InstanceIds: instanceIds.slice(i, i + 50),
              MaxRecords: 50,
              NextToken: token,
            }),
          ),
        );
        for (const m of page.AutoScalingInstances ?? [])
          if (m.InstanceId && m.AutoScalingGroupName)
            members.push({
              id: m.InstanceId,
              group: m.AutoScalingGroupName,
              lifecycle: m.LifecycleState ?? 'unknown',
            });
        token = page.NextToken;
      } while (token);
    }
    if (!members.length) return result;
    const targetGroupsOf = new Map<string, string[]>();
    let token: string | undefined;
    do {
      const page = await call('read the Auto Scaling groups', () =>
        autoscaling.send(
          new DescribeAutoScalingGroupsCommand({
            AutoScalingGroupNames: [...new Set(members.map((m) => m.group))],
            NextToken: token,
          }),
        ),
      );
      for (const group of page.AutoScalingGroups ?? [])
        if (group.AutoScalingGroupName)
          targetGroupsOf.set(group.AutoScalingGroupName, group.TargetGroupARNs ?? []);
      token = page.NextToken;
    } while (token);
    const health = new Map<string, string>();
    for (const arn of new Set([...targetGroupsOf.values()].flat())) {
      const answer = await call('read the target group’s health', () =>
        elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
      );
      for (const target of answer.TargetHealthDescriptions ?? []) {
        const id = target.Target?.Id;
        const state = target.TargetHealth?.State;
        // In two target groups, the worse verdict shows.
        if (id && state && (health.get(id) ?? 'healthy') === 'healthy') health.set(id, state);
      }
    }
    for (const m of members)
      result.set(m.id, {
        group: m.group,
        lifecycle: m.lifecycle,
        targetHealth: targetGroupsOf.get(m.group)?.length ? (health.get(m.id) ?? 'unused') : null,
      });
    return result;
  }

  /**
   * The digest of the image `version` (a tag, or a `sha256:` digest) names in `repository`, or
   * null when ECR holds none: a host told to run an image that is not there fails its pull and
   * rolls back, one host at a time.
   */
  async imageDigest(repository: EcrRepository, version: string): Promise<string | null> {
    try {
      const answer = await this.options.ecr.send(
        new DescribeImagesCommand({
          registryId: repository.registryId,
          repositoryName: repository.repositoryName,
          imageIds: [ecrImageIdOf(version)],
        }),
      );
      const [image] = answer.imageDetails ?? [];
      if (!image) return null;
      // ECR always answers with the digest; a digest asked for is its own answer.
      return image.imageDigest ?? (version.startsWith('sha256:') ? version : null);
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ImageNotFoundException') return null;
      if (name === 'RepositoryNotFoundException')
        throw new AwsError(
          'not-found',
          `ECR has no repository ${repository.repositoryName} in registry ${repository.registryId}`,
        );
      throw toAwsError(error, 'look the image up in ECR');
    }
  }

  /** Whether the SSM Command document exists (what `npm run doctor` asks; the redeploys send it). */
  async documentExists(name: string): Promise<boolean> {
    try {
      await this.options.ssm.send(new DescribeDocumentCommand({ Name: name }));
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'InvalidDocument') return false;
      throw toAwsError(error, 'look the SSM document up');
    }
  }

  /** Sends the redeploy document to the environment's hosts by tag; returns the command id. */
  async sendRedeploy(command: RedeployCommand): Promise<string> {
    const sent = await call('send the redeploy command', () =>
      this.options.ssm.send(
        new SendCommandCommand({
          DocumentName: command.documentName,
          Targets: [
            { Key: 'tag:Project', Values: [command.project] },
            { Key: 'tag:Environment', Values: [command.environment] },
            { Key: 'tag:Role', Values: [command.role ?? DEFAULT_ROLE] },
          ],
          Parameters: { service: [command.service], imageTag: [command.imageTag] },
          MaxConcurrency: command.maxConcurrency ?? '1',
          MaxErrors: command.maxErrors ?? '0',
          Comment: (command.comment ?? `chatops redeploy ${command.service}`).slice(0, 100),
          TimeoutSeconds: 600,
        }),
      ),
    );
    const id = sent.Command?.CommandId;
    if (!id) throw new AwsError('unavailable', 'SSM accepted the command but returned no id');
    return id;
  }

  /**
   * Follows a command's invocations until every one has ended, with growing pauses (and longer
   * ones when throttled), reporting each change; failed invocations get their output tail.
   */
  async followCommand(
    commandId: string,
    onProgress: (invocations: InvocationResult[]) => void = () => undefined,
  ): Promise<InvocationResult[]> {
    let pause = this.pollMs.initial;
    let last = '';
    for (;;) {
      let invocations: InvocationResult[];
      try {
        invocations = await this.listInvocations(commandId);
      } catch (error) {
        if (error instanceof AwsError && error.kind === 'throttled') {
          pause = Math.min(pause * 2, this.pollMs.max);
          await this.sleep(pause);
          continue;
        }
        throw error;
      }
      const snapshot = JSON.stringify(invocations);
      if (snapshot !== last) {
        last = snapshot;
        onProgress(invocations);
      }
      if (invocations.length > 0 && invocations.every((i) => TERMINAL.has(i.status))) {
        for (const invocation of invocations)
          if (invocation.status !== 'Success')
            invocation.outputTail = await this.outputTail(commandId, invocation.instanceId);
        return invocations;
      }
      await this.sleep(pause);
      pause = Math.min(Math.ceil(pause * 1.5), this.pollMs.max);
    }
  }

  async setDesiredVersion(scope: FleetScope, service: string, imageTag: string): Promise<number> {
    const result = await call('set the desired version', () =>
      this.options.ssm.send(
        new PutParameterCommand({
          Name: AwsFleetRepository.parameterName(scope.project, scope.environment, service),
          Value: imageTag,
          Type: 'String',
          Overwrite: true,
        }),
      ),
    );
    return result.Version ?? 0;
  }

  /** Whether the desired-version parameter exists (Terraform creates it; deploys write it). */
  async parameterExists(scope: FleetScope, service: string): Promise<boolean> {
    try {
      await this.options.ssm.send(
        new GetParameterHistoryCommand({
          Name: AwsFleetRepository.parameterName(scope.project, scope.environment, service),
          MaxResults: 1,
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ParameterNotFound') return false;
      throw toAwsError(error, 'read the desired-version parameter');
    }
  }

  /** Newest first: the deploy history of a service in an environment (empty: never deployed), without NOT_DEPLOYED. */
  async versionHistory(scope: FleetScope, service: string): Promise<VersionRecord[]> {
    const records: VersionRecord[] = [];
    let token: string | undefined;
    do {
      const page = await call('read the version history', () =>
        this.options.ssm
          .send(
            new GetParameterHistoryCommand({
              Name: AwsFleetRepository.parameterName(scope.project, scope.environment, service),
              NextToken: token,
              MaxResults: 50,
            }),
          )
          .catch((error: unknown) => {
            if ((error as { name?: string }).name === 'ParameterNotFound') return null;
            throw error;
          }),
      );
      if (!page) return [];
      for (const p of page.Parameters ?? [])
        if (p.Value !== NOT_DEPLOYED)
          records.push({
            version: p.Version ?? 0,
            value: p.Value ?? '',
            modifiedAt: p.LastModifiedDate ? p.LastModifiedDate.toISOString() : null,
            modifiedBy: p.LastModifiedUser ?? null,
          });
      token = page.NextToken;
    } while (token);
    return records.sort((a, b) => b.version - a.version);
  }

  /**
   * The command sent with `marker` in its comment since `since` (epoch ms), if SSM has one: how
   * a restarted API finds a redeploy it sent but did not live to record. Reads at most
   * `maxPages` pages of 50, newest first.
   */
  async findCommandByComment(
    documentName: string,
    marker: string,
    since: number,
    maxPages = 10,
  ): Promise<string | null> {
    let token: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const answer = await call('look for the redeploy command', () =>
        this.options.ssm.send(
          new ListCommandsCommand({
            Filters: [
              { key: 'InvokedAfter', value: new Date(since).toISOString() },
              { key: 'DocumentName', value: documentName },
            ],
            MaxResults: 50,
            NextToken: token,
          }),
        ),
      );
      const found = answer.Commands?.find((c) => c.Comment?.includes(marker));
      if (found?.CommandId) return found.CommandId;
      token = answer.NextToken;
      if (!token) break;
    }
    return null;
  }

  /**
   * One look at a command's invocations, per instance, with when each started and ended (from
   * the document's step); no output. Callers that poll on their own schedule use this.
   */
  async listInvocations(commandId: string): Promise<InvocationResult[]> {
    const results: InvocationResult[] = [];
    let token: string | undefined;
    do {
      const page = await call('follow the redeploy', () =>
        this.options.ssm.send(
          new ListCommandInvocationsCommand({
            CommandId: commandId,
            Details: true,
            NextToken: token,
          }),
        ),
      );
      for (const i of page.CommandInvocations ?? []) {
        const step = i.CommandPlugins?.[0];
        const startedAt = step?.ResponseStartDateTime ?? null;
        const finishedAt = TERMINAL.has(i.Status ?? '')
          ? (step?.ResponseFinishDateTime ?? null)
          : null;
        results.push({
          instanceId: i.InstanceId ?? '?',
          status: i.Status ?? 'Pending',
          startedAt: startedAt ? startedAt.toISOString() : null,
          finishedAt: finishedAt ? finishedAt.toISOString() : null,
          outputTail: null,
        });
      }
      token = page.NextToken;
    } while (token);
    return results.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }

  /** Asks SSM to stop a command on every host it has not finished on. */
  async cancelCommand(commandId: string): Promise<void> {
    await call('cancel the redeploy', () =>
      this.options.ssm.send(new CancelCommandCommand({ CommandId: commandId })),
    );
  }

  /** Whether an invocation status is final. */
  static isFinished(status: string): boolean {
    return TERMINAL.has(status);
  }

  /** The end of what the script printed on one host (stdout, then stderr); null when unreadable. */
  async outputTail(commandId: string, instanceId: string): Promise<string | null> {
    try {
      const invocation = await call('read the output', () =>
        this.options.ssm.send(
          new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
        ),
      );
      const output = [invocation.StandardOutputContent, invocation.StandardErrorContent]
        .map((part) => part?.trimEnd())
        .filter(Boolean)
        .join('\n');
      return output ? output.slice(-this.tailChars) : null;
    } catch {
      return null;
    }
  }
}

async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw toAwsError(error, what);
  }
}

/** AWS SDK errors as AwsError, with a message for a user (no request ids, no ARNs of roles). */
export function toAwsError(error: unknown, action: string): AwsError {
  if (error instanceof AwsError) return error;
  const name = (error as { name?: string }).name ?? '';
  if (/Throttl|TooManyRequests|RequestLimitExceeded/.test(name))
    return new AwsError('throttled', `AWS is throttling us; could not ${action} right now`);
  if (
    /AccessDenied|UnauthorizedOperation|NotAuthorized|UnrecognizedClient|AuthFailure|InvalidClientTokenId/.test(
      name,
    )
  )
    return new AwsError('access-denied', `AWS denied the platform's role permission to ${action}`);
  if (/NotFound|InvalidDocument|InvalidInstanceId|InvalidCommandId/.test(name))
    return new AwsError('not-found', `AWS found nothing to ${action} (${name})`);
  if (/Invalid|Validation/.test(name))
    return new AwsError('invalid', `AWS refused to ${action} (${name})`);
  return new AwsError(
    'unavailable',
    `AWS failed when trying to ${action}${name ? ` (${name})` : ''}`,
  );
}
