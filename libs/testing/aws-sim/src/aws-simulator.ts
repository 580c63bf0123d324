import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IMAGE_VERSION_PATTERN } from '@chatops/domain';
import { faultControl, FaultPlan, readBody, SimHttpServer } from '@chatops/sim-kit';
import {
  AUTOSCALING_VERSION,
  ELB_VERSION,
  type HealthCheck,
  type LoadBalancingState,
  QueryFault,
  SimLoadBalancing,
} from './load-balancing';

export interface AwsSimulatorOptions {
  /** The `Project` tag of every host. */
  project: string;
  environments: readonly string[];
  services: readonly string[];
  /** Hosts per environment (default 2, in two availability zones). */
  hostsPerEnvironment?: number;
  region?: string;
  /** The desired and running version every service starts with (omit: nothing deployed yet). */
  initialVersion?: string;
  /** Image tags every service's ECR repository holds from the start (besides `initialVersion`). */
  images?: readonly string[];
  /** Each service's ECR repository name (default `<project>-<service>`). */
  repositories?: Readonly<Record<string, string>>;
  /** The SSM Command documents that exist (default `<project>-redeploy`, as Terraform makes it). */
  documents?: readonly string[];
  /** The access key the stand-in accepts (SigV4 `Credential=`); others are refused. */
  accessKeyId?: string;
  /** How long SSM takes to reach a host, and a redeploy on one host (pull, start, health wait). */
  timing?: { deliverMs: number; redeployMs: number };
  /** State from an earlier `snapshot()`: hosts, versions, history and commands carry on from there. */
  state?: AwsSimState;
  /** Called, synchronously, after every change to the state (before the answer that reports it). */
  onChange?: () => void;
  /**
   * Environments whose hosts sit in an Auto Scaling group behind the ALB's target group (the
   * `api` service): a redeploy of `api` there takes each host out of service while it restarts.
   */
  loadBalanced?: readonly string[];
  loadBalancing?: {
    deregistrationDelayMs?: number;
    healthCheck?: HealthCheck;
    /** Whether a host passes the target group's health check (default: its api is not restarting). */
    probe?: (instanceId: string) => boolean | Promise<boolean>;
  };
  /**
   * Runs the redeploy document on a host instead of the stand-in's model of redeploy.sh (a test
   * runs the real script): its exit code, output and error output become the invocation's.
   */
  hostAgent?: (
    host: SimHost,
    command: { service: string; imageTag: string },
  ) => Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

type Json<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};
/** Everything the stand-in knows, as JSON (what `snapshot()` returns and `state` restores). */
export interface AwsSimState {
  version: 1;
  hosts: Json<SimHost>[];
  parameters: Record<string, Json<ParameterVersion>[]>;
  commands: (Omit<Json<SimCommand>, 'invocations'> & { invocations: Json<SimInvocation>[] })[];
  failing: string[];
  failLastHostOfNextCommand: boolean;
  /** ECR: the images of each repository (absent in states saved before the stand-in had ECR). */
  images?: Record<string, Json<SimImage>[]>;
  /** The Auto Scaling groups' lifecycle states (absent before the stand-in had load balancing). */
  loadBalancing?: LoadBalancingState;
}

interface SimImage {
  digest: string;
  tags: string[];
  pushedAt: Date;
}

export interface PushedImage {
  pushedAt?: Date;
  /** Tell `onChange` (false while the simulator seeds itself). */
  notify?: boolean;
  /** What was built, from which the digest derives (default: service and tag). */
  content?: string;
}

export interface SimHost {
  id: string;
  environment: string;
  availabilityZone: string;
  amiId: string;
  launchedAt: Date;
  state: 'running' | 'stopped';
  ping: 'Online' | 'ConnectionLost';
  /** What each service runs on this host. */
  running: Record<string, string>;
}

interface SimInvocation {
  instanceId: string;
  status: string;
  statusDetails: string;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  responseCode: number;
  stdout: string;
  stderr: string;
}

interface SimCommand {
  id: string;
  documentName: string;
  service: string;
  imageTag: string;
  comment: string;
  requestedAt: Date;
  invocations: SimInvocation[];
  maxConcurrency: string;
  maxErrors: string;
  cancelled: boolean;
}

interface ParameterVersion {
  version: number;
  value: string;
  modifiedAt: Date;
  modifiedBy: string;
}

class AwsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** How each service's protocol names a refused or failed call (`[status, code, message]`). */
const FAULT_WORDS: Record<
  'ec2' | 'json' | 'query',
  {
    unrecognized: [number, string, string];
    /** Without a message: "User is not authorized to perform: <iam action>". */
    denied: [number, string, string?];
    throttled: [number, string, string];
    internal: string;
  }
> = {
  ec2: {
    unrecognized: [401, 'AuthFailure', 'AWS was not able to validate the provided credentials.'],
    denied: [403, 'UnauthorizedOperation', 'You are not authorized to perform this operation.'],
    throttled: [503, 'RequestLimitExceeded', 'Request limit exceeded.'],
    internal: 'InternalError',
  },
  // SSM and ECR (JSON 1.1).
  json: {
    unrecognized: [
      400,
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    ],
    denied: [400, 'AccessDeniedException'],
    throttled: [400, 'ThrottlingException', 'Rate exceeded'],
    internal: 'InternalServerError',
  },
  // Auto Scaling and ELBv2.
  query: {
    unrecognized: [
      403,
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
    ],
    denied: [403, 'AccessDenied'],
    throttled: [400, 'Throttling', 'Rate exceeded'],
    internal: 'InternalFailure',
  },
};
const PROTOCOL_OF: Record<string, 'ec2' | 'json' | 'query'> = {
  EC2: 'ec2',
  SSM: 'json',
  ECR: 'json',
  AutoScaling: 'query',
  ELBv2: 'query',
};
const IAM_PREFIX: Record<string, string> = {
  SSM: 'ssm',
  ECR: 'ecr',
  AutoScaling: 'autoscaling',
  ELBv2: 'elasticloadbalancing',
};

/** The SSM actions that change what the stand-in knows (the others only read). */
const MUTATING_SSM = new Set(['SendCommand', 'CancelCommand', 'PutParameter']);
const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut', 'Undeliverable']);
const SSM_PREFIX = 'AmazonSSM.';
const ECR_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
/** The account the stand-in's registry belongs to (the catalog's example images name it). */
export const SIM_REGISTRY_ID = '123456789012';
/** The allowedPattern of each parameter of infra/modules/ssm/documents/redeploy.json (a test compares). */
export const REDEPLOY_PARAMETERS = {
  service: /^[a-z][a-z0-9-]{0,39}$/,
  imageTag: IMAGE_VERSION_PATTERN,
};

/**
 * EC2 and SSM on loopback for what the platform uses, speaking the real wire protocols (SSM's
 * JSON 1.1, EC2's Query/XML) so the real SDK clients talk to it through `AWS_ENDPOINT_URL`:
 * hosts tagged by project, environment and role, SSM agent pings, the redeploy Command document
 * (its parameters checked against `allowedPattern`), rolling invocations by `MaxConcurrency` and
 * `MaxErrors` that take realistic time, output, cancellation, and Parameter Store with history.
 * Knobs: `failNext(instanceId?)` (a host's next redeploy comes up unhealthy and rolls back),
 * `throttleNext(n)`, `denyNext(action)`, `setPing(instanceId, status)`.
 */
export class AwsSimulator {
  /** Every API call as `Service.Action`, in order. */
  readonly calls: { action: string; at: number }[] = [];
  readonly hosts: SimHost[] = [];
  timing: { deliverMs: number; redeployMs: number };
  private readonly commands = new Map<string, SimCommand>();
  private readonly parameters = new Map<string, ParameterVersion[]>();
  /** ECR repository name → its images. */
  private readonly images = new Map<string, SimImage[]>();
  private readonly failing = new Set<string>();
  private failLastHostOfNextCommand = false;
  /** Outages and injected errors (`throttleNext`, `POST /_sim/aws/faults`). */
  readonly faults = new FaultPlan();
  private deny: RegExp | null = null;
  private holding: RegExp | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly http: SimHttpServer;
  /** The groups and target groups of the load-balanced environments. */
  readonly loadBalancing: SimLoadBalancing;
  /** Hosts whose api is restarting now (the stand-in's model of redeploy.sh). */
  private readonly restarting = new Set<string>();
  readonly region: string;
  readonly accessKeyId: string;

  constructor(private readonly options: AwsSimulatorOptions) {
    this.region = options.region ?? 'eu-west-1';
    // Visibly not an AWS key (those start AKIA/ASIA), so no scanner mistakes it for one.
    this.accessKeyId = options.accessKeyId ?? 'sandbox-fleet-access-key';
    this.timing = options.timing ?? { deliverMs: 400, redeployMs: 2500 };
    const launchedAt = new Date(Date.now() - 3 * 86_400_000);
    for (const environment of options.environments) {
      for (let i = 0; i < (options.hostsPerEnvironment ?? 2); i++) {
        const running: Record<string, string> = {};
        const host: SimHost = {
          // Stable per project, environment and index, and as different as real ids look.
          id: `i-0${createHash('sha256').update(`${options.project}/${environment}/${i}`).digest('hex').slice(0, 16)}`,
          environment,
          availabilityZone: `${this.region}${'abc'[i % 3]}`,
          amiId: 'ami-0c0ffee0ddba11000',
          launchedAt,
          state: 'running',
          ping: 'Online',
          running,
        };
        if (options.initialVersion)
          for (const service of options.services) running[service] = options.initialVersion;
        this.hosts.push(host);
      }
      if (options.initialVersion)
        for (const service of options.services)
          this.parameters.set(this.parameterName(environment, service), [
            {
              version: 1,
              value: options.initialVersion,
              modifiedAt: launchedAt,
              modifiedBy: 'arn:aws:sts::123456789012:assumed-role/chatops-deploy/terraform',
            },
          ]);
    }
    for (const service of options.services) this.images.set(this.repositoryOf(service), []);
    this.http = new SimHttpServer('AWS stand-in', (req, res) => void this.handle(req, res));
    this.loadBalancing = new SimLoadBalancing({
      project: options.project,
      region: this.region,
      accountId: SIM_REGISTRY_ID,
      hosts: Object.fromEntries(
        (options.loadBalanced ?? []).map((environment) => [
          environment,
          this.hosts.filter((h) => h.environment === environment),
        ]),
      ),
      ...(options.loadBalancing?.deregistrationDelayMs !== undefined
        ? { deregistrationDelayMs: options.loadBalancing.deregistrationDelayMs }
        : {}),
      ...(options.loadBalancing?.healthCheck
        ? { healthCheck: options.loadBalancing.healthCheck }
        : {}),
      probe:
        options.loadBalancing?.probe ??
        ((id) =>
          !this.restarting.has(id) && this.hosts.some((h) => h.id === id && h.running['api'])),
      onChange: () => this.changed(),
    });
    if (options.state) this.restore(options.state);
    // What any deploy ever recorded was pushed first (the deploy workflow pushes, then records).
    for (const service of options.services) {
      const seeded = [options.initialVersion, ...(options.images ?? [])];
      for (const environment of options.environments)
        seeded.push(...this.history(this.parameterName(environment, service)).map((v) => v.value));
      for (const tag of seeded)
        if (tag) this.pushImage(service, tag, { pushedAt: launchedAt, notify: false });
    }
  }

  /** The state as JSON, for `state` on a later start (the sandbox keeps it across restarts). */
  snapshot(): AwsSimState {
    return JSON.parse(
      JSON.stringify({
        version: 1,
        hosts: this.hosts,
        parameters: Object.fromEntries(this.parameters),
        commands: [...this.commands.values()],
        failing: [...this.failing],
        failLastHostOfNextCommand: this.failLastHostOfNextCommand,
        images: Object.fromEntries(this.images),
        loadBalancing: this.loadBalancing.snapshot(),
      }),
    ) as AwsSimState;
  }

  private restore(state: AwsSimState): void {
    if (state.version !== 1)
      throw new Error(`AWS stand-in state version ${String(state.version)} is not 1`);
    const date = (text: string) => new Date(text);
    const maybe = (text: string | null) => (text === null ? null : new Date(text));
    this.hosts.splice(
      0,
      this.hosts.length,
      ...state.hosts.map((h) => ({ ...h, launchedAt: date(h.launchedAt) })),
    );
    this.parameters.clear();
    for (const [name, history] of Object.entries(state.parameters))
      this.parameters.set(
        name,
        history.map((v) => ({ ...v, modifiedAt: date(v.modifiedAt) })),
      );
    this.commands.clear();
    for (const command of state.commands)
      this.commands.set(command.id, {
        ...command,
        requestedAt: date(command.requestedAt),
        invocations: command.invocations.map((i) => ({
          ...i,
          requestedAt: date(i.requestedAt),
          startedAt: maybe(i.startedAt),
          finishedAt: maybe(i.finishedAt),
        })),
      });
    this.failing.clear();
    for (const id of state.failing) this.failing.add(id);
    this.failLastHostOfNextCommand = state.failLastHostOfNextCommand;
    for (const [repository, images] of Object.entries(state.images ?? {}))
      this.images.set(
        repository,
        images.map((i) => ({ ...i, pushedAt: date(i.pushedAt) })),
      );
    if (state.loadBalancing) this.loadBalancing.restore(state.loadBalancing);
  }

  /**
   * Commands that were still rolling when the state was saved carry on from the first host that
   * had not finished (SSM does not stop because we did). Call it once, after `start`.
   */
  resume(): void {
    for (const command of this.commands.values()) {
      if (command.cancelled) continue;
      const from = command.invocations.findIndex((i) => !TERMINAL.has(i.status));
      if (from >= 0) this.later(this.timing.deliverMs, () => this.runBatch(command, from));
    }
  }

  private changed(): void {
    this.options.onChange?.();
  }

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    await this.http.listen(port, host);
    return this;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.loadBalancing.stop();
    await this.http.close();
  }

  get endpoint(): string {
    return this.http.url;
  }

  /** An SDK client's configuration for the stand-in (no SDK retries: tests see every fault). */
  sdkConfig(accessKeyId = this.accessKeyId) {
    return {
      endpoint: this.endpoint,
      region: this.region,
      credentials: { accessKeyId, secretAccessKey: 'sandbox-secret-not-a-real-key' },
      maxAttempts: 1,
    };
  }

  /** Credentials and endpoint for an SDK client (or a child process's environment). */
  get clientEnv(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_REGION: this.region,
      AWS_ACCESS_KEY_ID: this.accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'sandbox-secret-not-a-real-key',
    };
  }

  /**
   * The next redeploy on this host comes up unhealthy and rolls back (exit 4, like the host
   * script). Without a host: the last host the next command reaches.
   */
  failNext(instanceId?: string): void {
    if (instanceId) this.failing.add(instanceId);
    else this.failLastHostOfNextCommand = true;
  }

  /** The next `count` calls matching `action` (`SSM.SendCommand`, `EC2.DescribeInstances`) are throttled. */
  throttleNext(count: number, action = /./): void {
    this.faults.failNext(action, count, 429);
  }

  /** Calls matching `action` are denied (the platform's role lacks the permission) until cleared. */
  /**
   * The next call matching `action` (`SSM.SendCommand`) is carried out but never answered, as
   * when the caller dies between sending it and reading the answer.
   */
  holdNextAnswer(action: RegExp): void {
    this.holding = action;
  }

  denyNext(action: RegExp | null): void {
    this.deny = action;
  }

  setPing(instanceId: string, ping: SimHost['ping']): void {
    const host = this.hosts.find((h) => h.id === instanceId);
    if (!host) throw new Error(`no host ${instanceId}`);
    host.ping = ping;
  }

  /**
   * What the deploy workflow does after pushing an image: set the desired version, and the SSM
   * redeploy it waits for brings every reachable host of the environment to it.
   */
  applyDeploy(environment: string, service: string, version: string): void {
    const name = this.parameterName(environment, service);
    const history = this.parameters.get(name) ?? [];
    history.push({
      version: history.length + 1,
      value: version,
      modifiedAt: new Date(),
      modifiedBy: 'arn:aws:sts::123456789012:assumed-role/chatops-github-deploy/GitHubActions',
    });
    this.parameters.set(name, history);
    this.pushImage(service, version, { notify: false });
    for (const host of this.hostsOf(environment))
      if (host.state === 'running' && host.ping === 'Online') host.running[service] = version;
    this.changed();
  }

  /**
   * ECR: `service`'s repository now holds `tag` (what the deploy workflow's push does). The digest
   * derives from service and tag, or from `content`: another build pushed under a tag that was
   * deleted gets another digest.
   */
  pushImage(
    service: string,
    tag: string,
    { pushedAt = new Date(), notify = true, content }: PushedImage = {},
  ): void {
    const images = this.images.get(this.repositoryOf(service));
    if (!images) throw new Error(`no service ${service}`);
    if (this.hasImage(service, tag)) return;
    const digest = tag.startsWith('sha256:')
      ? tag
      : `sha256:${createHash('sha256')
          .update(content ?? `${service}:${tag}`)
          .digest('hex')}`;
    images.push({ digest, tags: tag.startsWith('sha256:') ? [] : [tag], pushedAt });
    if (notify) this.changed();
  }

  /** ECR: the digest of the image `version` (a tag or digest) names; null: ECR has none. */
  imageDigestOf(service: string, version: string): string | null {
    const images = this.images.get(this.repositoryOf(service)) ?? [];
    return images.find((i) => i.tags.includes(version) || i.digest === version)?.digest ?? null;
  }

  /** ECR: the image is gone (a lifecycle policy expired it, or someone deleted it). */
  deleteImage(service: string, tag: string): void {
    const images = this.images.get(this.repositoryOf(service)) ?? [];
    const index = images.findIndex((i) => i.tags.includes(tag) || i.digest === tag);
    if (index >= 0) images.splice(index, 1);
    this.changed();
  }

  hasImage(service: string, version: string): boolean {
    const images = this.images.get(this.repositoryOf(service)) ?? [];
    return images.some((i) => i.tags.includes(version) || i.digest === version);
  }

  repositoryOf(service: string): string {
    return this.options.repositories?.[service] ?? `${this.options.project}-${service}`;
  }

  hostsOf(environment: string): SimHost[] {
    return this.hosts.filter((h) => h.environment === environment);
  }

  parameterName(environment: string, service: string): string {
    return `/${this.options.project}/${environment}/${service}/image`;
  }

  /** Parameter Store history of a name, oldest first. */
  history(name: string): ParameterVersion[] {
    return [...(this.parameters.get(name) ?? [])];
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await readBody(req)).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://aws');
    if (this.faults.down && !url.pathname.startsWith('/_sim/')) {
      req.socket.destroy();
      return;
    }
    if (url.pathname.startsWith('/_sim/aws/')) {
      const { status, body } = this.control(req.method ?? 'GET', url.pathname, raw);
      if (req.method !== 'GET') this.changed();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith(SSM_PREFIX)) {
      const action = target.slice(SSM_PREFIX.length);
      try {
        this.admit(req, `SSM.${action}`);
        const body = this.ssm(action, raw ? (JSON.parse(raw) as Record<string, unknown>) : {});
        if (MUTATING_SSM.has(action)) this.changed();
        // Carried out, but the answer never leaves: what a caller killed mid-call leaves behind.
        if (this.holding?.test(`SSM.${action}`)) {
          this.holding = null;
          return;
        }
        answerJson11(res, body);
      } catch (error) {
        answerJson11(res, undefined, asFault(error));
      }
      return;
    }
    if (typeof target === 'string' && target.startsWith(ECR_PREFIX)) {
      const action = target.slice(ECR_PREFIX.length);
      try {
        this.admit(req, `ECR.${action}`);
        answerJson11(
          res,
          this.ecr(action, raw ? (JSON.parse(raw) as Record<string, unknown>) : {}),
        );
      } catch (error) {
        answerJson11(res, undefined, asFault(error));
      }
      return;
    }
    const form = new URLSearchParams(raw);
    const action = form.get('Action') ?? '';
    const version = form.get('Version') ?? '';
    if (version === AUTOSCALING_VERSION || version === ELB_VERSION) {
      try {
        this.admit(req, `${version === ELB_VERSION ? 'ELBv2' : 'AutoScaling'}.${action}`);
        const body = this.loadBalancing.handle(version, action, form);
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(body);
      } catch (error) {
        const fault =
          error instanceof QueryFault
            ? error
            : error instanceof AwsFault
              ? new QueryFault(error.status, error.code, error.message)
              : new QueryFault(500, 'InternalFailure', (error as Error).message);
        res.writeHead(fault.status, { 'content-type': 'text/xml' });
        res.end(SimLoadBalancing.errorXml(version, fault));
      }
      return;
    }
    try {
      this.admit(req, `EC2.${action}`);
      if (action !== 'DescribeInstances')
        throw new AwsFault(400, 'InvalidAction', `The action ${action} is not valid`);
      res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(this.describeInstances(form));
    } catch (error) {
      const fault = asFault(error);
      res.writeHead(fault.status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${fault.code}</Code><Message>${xml(fault.message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
      );
    }
  }

  /** Credentials, denial and throttling, as AWS applies them before an action runs. */
  private admit(req: IncomingMessage, action: string): void {
    this.calls.push({ action, at: Date.now() });
    const [service = '', operation = ''] = action.split('.');
    const words = FAULT_WORDS[PROTOCOL_OF[service] ?? 'json'];
    const credential = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''));
    if (credential?.[1] !== this.accessKeyId) throw new AwsFault(...words.unrecognized);
    if (this.deny?.test(action))
      throw new AwsFault(
        words.denied[0],
        words.denied[1],
        words.denied[2] ??
          `User is not authorized to perform: ${IAM_PREFIX[service] ?? service.toLowerCase()}:${operation}`,
      );
    // An injected status, in the words of the service's protocol.
    const injected = this.faults.take(action);
    if (injected === 429) throw new AwsFault(...words.throttled);
    if (injected !== null) throw new AwsFault(injected, words.internal, 'Injected fault');
  }

  // ---- EC2 ----

  private describeInstances(form: URLSearchParams): string {
    const filters = new Map<string, string[]>();
    for (let i = 1; form.has(`Filter.${i}.Name`); i++) {
      const values: string[] = [];
      for (let j = 1; form.has(`Filter.${i}.Value.${j}`); j++)
        values.push(form.get(`Filter.${i}.Value.${j}`) ?? '');
      filters.set(form.get(`Filter.${i}.Name`) ?? '', values);
    }
    const tags = (host: SimHost): Record<string, string> => ({
      Project: this.options.project,
      Environment: host.environment,
      Role: 'docker-host',
      Name: `${this.options.project}-${host.environment}-docker-host`,
    });
    const matches = this.hosts.filter((host) =>
      [...filters].every(([name, values]) => {
        if (name === 'instance-state-name') return values.includes(host.state);
        if (name.startsWith('tag:')) return values.includes(tags(host)[name.slice(4)] ?? '');
        if (name === 'instance-id') return values.includes(host.id);
        return true;
      }),
    );
    const items = matches
      .map(
        (
          host,
        ) => `<item><reservationId>r-${host.id.slice(2)}</reservationId><ownerId>123456789012</ownerId><instancesSet><item>
<instanceId>${host.id}</instanceId><imageId>${host.amiId}</imageId>
<instanceState><code>${host.state === 'running' ? 16 : 80}</code><name>${host.state}</name></instanceState>
<instanceType>t3.small</instanceType><launchTime>${host.launchedAt.toISOString()}</launchTime>
<placement><availabilityZone>${host.availabilityZone}</availabilityZone><tenancy>default</tenancy></placement>
<tagSet>${Object.entries(tags(host))
          .map(([k, v]) => `<item><key>${xml(k)}</key><value>${xml(v)}</value></item>`)
          .join('')}</tagSet>
</item></instancesSet></item>`,
      )
      .join('');
    return `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomUUID()}</requestId><reservationSet>${items}</reservationSet></DescribeInstancesResponse>`;
  }

  // ---- ECR ----

  private ecr(action: string, input: Record<string, unknown>): unknown {
    if (action === 'GetAuthorizationToken')
      // What `aws ecr get-login-password` prints: the password of the user AWS.
      return {
        authorizationData: [
          {
            authorizationToken: Buffer.from('AWS:sandbox-registry-password').toString('base64'),
            expiresAt: epoch(new Date(Date.now() + 12 * 3_600_000)),
            proxyEndpoint: `https://${SIM_REGISTRY_ID}.dkr.ecr.${this.region}.amazonaws.com`,
          },
        ],
      };
    if (action !== 'DescribeImages')
      throw new AwsFault(400, 'UnknownOperationException', `Unknown operation ${action}`);
    const registryId =
      typeof input['registryId'] === 'string' ? input['registryId'] : SIM_REGISTRY_ID;
    const repositoryName = input['repositoryName'];
    if (typeof repositoryName !== 'string' || !repositoryName)
      throw new AwsFault(400, 'InvalidParameterException', 'repositoryName is required');
    const images = registryId === SIM_REGISTRY_ID ? this.images.get(repositoryName) : undefined;
    if (!images)
      throw new AwsFault(
        400,
        'RepositoryNotFoundException',
        `The repository with name '${repositoryName}' does not exist in the registry with id '${registryId}'`,
      );
    const ids =
      (input['imageIds'] as { imageTag?: string; imageDigest?: string }[] | undefined) ?? null;
    const wanted = ids
      ? ids.map((id) => {
          const found = images.find((i) =>
            id.imageDigest ? i.digest === id.imageDigest : i.tags.includes(id.imageTag ?? ''),
          );
          // DescribeImages fails the whole call when any image asked for by id is missing.
          if (!found)
            throw new AwsFault(
              400,
              'ImageNotFoundException',
              `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repositoryName}' in the registry with id '${registryId}'`,
            );
          return found;
        })
      : images;
    return {
      imageDetails: wanted.map((i) => ({
        registryId,
        repositoryName,
        imageDigest: i.digest,
        ...(i.tags.length ? { imageTags: i.tags } : {}),
        imageSizeInBytes: 48_000_000,
        imagePushedAt: epoch(i.pushedAt),
        imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactMediaType: 'application/vnd.oci.image.config.v1+json',
      })),
    };
  }

  // ---- SSM ----

  private ssm(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case 'DescribeDocument': {
        const name = this.document(String(input['Name'] ?? ''));
        return {
          Document: {
            Name: name,
            DocumentType: 'Command',
            DocumentFormat: 'JSON',
            SchemaVersion: '2.2',
            Status: 'Active',
            DocumentVersion: '1',
            LatestVersion: '1',
            DefaultVersion: '1',
            Owner: '123456789012',
            PlatformTypes: ['Linux'],
            TargetType: '/AWS::EC2::Instance',
            Parameters: Object.keys(REDEPLOY_PARAMETERS).map((Name) => ({ Name, Type: 'String' })),
          },
        };
      }
      case 'DescribeInstanceInformation': {
        const filters = (input['Filters'] as { Key: string; Values: string[] }[] | undefined) ?? [];
        const ids = filters.find((f) => f.Key === 'InstanceIds')?.Values;
        return {
          InstanceInformationList: this.hosts
            .filter((h) => !ids || ids.includes(h.id))
            .map((h) => ({
              InstanceId: h.id,
              PingStatus: h.ping,
              LastPingDateTime: epoch(new Date()),
              PlatformType: 'Linux',
              PlatformName: 'Amazon Linux',
              AgentVersion: '3.3.1142.0',
              ResourceType: 'EC2Instance',
            })),
        };
      }
      case 'SendCommand':
        return { Command: this.sendCommand(input) };
      case 'ListCommands':
        return this.listCommands(input);
      case 'ListCommandInvocations':
        return this.listCommandInvocations(input);
      case 'GetCommandInvocation': {
        const command = this.command(String(input['CommandId'] ?? ''));
        const invocation = command.invocations.find((i) => i.instanceId === input['InstanceId']);
        if (!invocation) throw new AwsFault(400, 'InvocationDoesNotExist', 'Invocation not found');
        return {
          CommandId: command.id,
          InstanceId: invocation.instanceId,
          DocumentName: command.documentName,
          PluginName: 'redeploy',
          ResponseCode: invocation.responseCode,
          Status: invocation.status,
          StatusDetails: invocation.statusDetails,
          StandardOutputContent: invocation.stdout,
          StandardErrorContent: invocation.stderr,
          ExecutionStartDateTime: invocation.startedAt?.toISOString() ?? '',
          ExecutionEndDateTime: invocation.finishedAt?.toISOString() ?? '',
        };
      }
      case 'CancelCommand': {
        const command = this.command(String(input['CommandId'] ?? ''));
        command.cancelled = true;
        for (const invocation of command.invocations)
          if (!TERMINAL.has(invocation.status)) this.end(invocation, 'Cancelled', -1);
        return {};
      }
      case 'PutParameter': {
        const name = String(input['Name'] ?? '');
        const value = String(input['Value'] ?? '');
        const history = this.parameters.get(name) ?? [];
        if (history.length && input['Overwrite'] !== true)
          throw new AwsFault(400, 'ParameterAlreadyExists', 'The parameter already exists.');
        const version = history.length + 1;
        history.push({
          version,
          value,
          modifiedAt: new Date(),
          modifiedBy: 'arn:aws:sts::123456789012:assumed-role/chatops-api/sandbox',
        });
        this.parameters.set(name, history);
        return { Version: version, Tier: 'Standard' };
      }
      case 'GetParameter': {
        const name = String(input['Name'] ?? '');
        const latest = this.parameters.get(name)?.at(-1);
        if (!latest) throw new AwsFault(400, 'ParameterNotFound', `Parameter ${name} not found.`);
        return { Parameter: this.parameter(name, latest) };
      }
      case 'GetParameterHistory': {
        const name = String(input['Name'] ?? '');
        const history = this.parameters.get(name);
        if (!history) throw new AwsFault(400, 'ParameterNotFound', `Parameter ${name} not found.`);
        return this.page(
          history.map((v) => ({
            ...this.parameter(name, v),
            LastModifiedUser: v.modifiedBy,
          })),
          input,
          'Parameters',
        );
      }
      default:
        throw new AwsFault(400, 'UnknownOperationException', `${action} is not simulated`);
    }
  }

  private parameter(name: string, v: ParameterVersion) {
    return {
      Name: name,
      Type: 'String',
      Value: v.value,
      Version: v.version,
      LastModifiedDate: epoch(v.modifiedAt),
      ARN: `arn:aws:ssm:${this.region}:123456789012:parameter${name}`,
      DataType: 'text',
    };
  }

  private page<T>(items: T[], input: Record<string, unknown>, key: string) {
    const size = Math.min(Number(input['MaxResults'] ?? 50) || 50, 50);
    const from = Number(input['NextToken'] ?? 0) || 0;
    const slice = items.slice(from, from + size);
    return {
      [key]: slice,
      ...(from + size < items.length ? { NextToken: String(from + size) } : {}),
    };
  }

  /** An SSM document that exists, or SSM's InvalidDocument. */
  private document(name: string): string {
    const documents = this.options.documents ?? [`${this.options.project}-redeploy`];
    if (!documents.includes(name))
      throw new AwsFault(400, 'InvalidDocument', `Document ${name} does not exist`);
    return name;
  }

  private command(id: string): SimCommand {
    const command = this.commands.get(id);
    if (!command) throw new AwsFault(400, 'InvalidCommandId', `Command ${id} not found`);
    return command;
  }

  private sendCommand(input: Record<string, unknown>) {
    const documentName = String(input['DocumentName'] ?? '');
    this.document(documentName);
    const parameters = (input['Parameters'] ?? {}) as Record<string, string[]>;
    for (const [name, pattern] of Object.entries(REDEPLOY_PARAMETERS)) {
      const values = parameters[name];
      if (!values || values.length !== 1 || !pattern.test(values[0] ?? ''))
        throw new AwsFault(
          400,
          'InvalidParameters',
          `Parameter "${name}" ${values?.length ? 'does not match the allowed pattern' : 'is required'}.`,
        );
    }
    const targets = (input['Targets'] as { Key: string; Values: string[] }[] | undefined) ?? [];
    const tag = (key: string) => targets.find((t) => t.Key === `tag:${key}`)?.Values ?? null;
    const matching = this.hosts.filter(
      (h) =>
        h.state === 'running' &&
        (tag('Project')?.includes(this.options.project) ?? true) &&
        (tag('Environment')?.includes(h.environment) ?? true) &&
        (tag('Role')?.includes('docker-host') ?? true),
    );
    const now = new Date();
    const command: SimCommand = {
      id: randomUUID(),
      documentName,
      service: parameters['service']?.[0] ?? '',
      imageTag: parameters['imageTag']?.[0] ?? '',
      comment: String(input['Comment'] ?? ''),
      requestedAt: now,
      maxConcurrency: String(input['MaxConcurrency'] ?? '50'),
      maxErrors: String(input['MaxErrors'] ?? '0'),
      cancelled: false,
      invocations: matching.map((h) => ({
        instanceId: h.id,
        status: 'Pending',
        statusDetails: 'Pending',
        requestedAt: now,
        startedAt: null,
        finishedAt: null,
        responseCode: -1,
        stdout: '',
        stderr: '',
      })),
    };
    if (this.failLastHostOfNextCommand && matching.length) {
      this.failing.add(matching[matching.length - 1]?.id ?? '');
      this.failLastHostOfNextCommand = false;
    }
    this.commands.set(command.id, command);
    this.later(this.timing.deliverMs, () => this.runBatch(command, 0));
    return this.commandView(command, parameters, targets, Number(input['TimeoutSeconds'] ?? 3600));
  }

  /** A command as SendCommand and ListCommands describe it. */
  private commandView(
    command: SimCommand,
    parameters: Record<string, string[]> = {
      service: [command.service],
      imageTag: [command.imageTag],
    },
    targets: unknown[] = [],
    timeoutSeconds = 600,
  ) {
    const statuses = command.invocations.map((i) => i.status);
    const done = statuses.filter((v) => TERMINAL.has(v)).length;
    const errors = statuses.filter((v) => v !== 'Success' && TERMINAL.has(v)).length;
    const status = command.cancelled
      ? 'Cancelled'
      : done < statuses.length
        ? statuses.some((v) => v !== 'Pending')
          ? 'InProgress'
          : 'Pending'
        : errors
          ? 'Failed'
          : 'Success';
    return {
      CommandId: command.id,
      DocumentName: command.documentName,
      Comment: command.comment,
      Parameters: parameters,
      Targets: targets,
      RequestedDateTime: epoch(command.requestedAt),
      Status: status,
      StatusDetails: status,
      MaxConcurrency: command.maxConcurrency,
      MaxErrors: command.maxErrors,
      TargetCount: command.invocations.length,
      CompletedCount: done,
      ErrorCount: errors,
      TimeoutSeconds: timeoutSeconds,
    };
  }

  /**
   * ListCommands: newest first, by `CommandId`, or by the filters the platform uses
   * (`InvokedAfter`, `InvokedBefore` as ISO 8601 times, `DocumentName`, `Status`), paged by
   * `MaxResults` (at most 50) and `NextToken`.
   */
  private listCommands(input: Record<string, unknown>) {
    const filters = (input['Filters'] as { key: string; value: string }[] | undefined) ?? [];
    const known = new Set([
      'InvokedAfter',
      'InvokedBefore',
      'DocumentName',
      'Status',
      'ExecutionStage',
    ]);
    for (const filter of filters)
      if (!known.has(filter.key))
        throw new AwsFault(400, 'InvalidFilterKey', `The filter key ${filter.key} is not valid.`);
    const value = (key: string) => filters.find((f) => f.key === key)?.value;
    const after = value('InvokedAfter');
    const before = value('InvokedBefore');
    for (const time of [after, before])
      if (time !== undefined && Number.isNaN(Date.parse(time)))
        throw new AwsFault(400, 'InvalidFilterValue', `The filter value ${time} is not valid.`);
    const id = input['CommandId'] as string | undefined;
    const commands = [...this.commands.values()]
      .filter((c) => !id || c.id === id)
      .filter((c) => !after || c.requestedAt.getTime() >= Date.parse(after))
      .filter((c) => !before || c.requestedAt.getTime() <= Date.parse(before))
      .filter((c) => !value('DocumentName') || c.documentName === value('DocumentName'))
      .sort((a, b) => b.requestedAt.getTime() - a.requestedAt.getTime())
      .map((c) => this.commandView(c))
      .filter((c) => !value('Status') || c.Status === value('Status'));
    if (id && !commands.length)
      throw new AwsFault(400, 'InvalidCommandId', `Command ${id} not found`);
    return this.page(commands, input, 'Commands');
  }

  /** Rolling: `MaxConcurrency` hosts at a time; past `MaxErrors` failures the rest are not sent. */
  private runBatch(command: SimCommand, from: number): void {
    if (command.cancelled) return;
    const total = command.invocations.length;
    const errors = command.invocations.filter((i) => i.status === 'Failed').length;
    if (errors > limitOf(command.maxErrors, total)) {
      for (const invocation of command.invocations.slice(from))
        if (!TERMINAL.has(invocation.status))
          this.end(invocation, 'Cancelled', -1, 'Cancelled: MaxErrors exceeded');
      return;
    }
    const batch = command.invocations.slice(
      from,
      from + Math.max(1, limitOf(command.maxConcurrency, total)),
    );
    if (!batch.length) return;
    let remaining = batch.length;
    for (const invocation of batch) {
      const host = this.hosts.find((h) => h.id === invocation.instanceId);
      if (!host || host.ping !== 'Online') {
        // The agent never picks it up: SSM gives up delivering.
        this.end(invocation, 'Undeliverable', -1);
        if (--remaining === 0) this.runBatch(command, from + batch.length);
        continue;
      }
      invocation.status = 'InProgress';
      invocation.statusDetails = 'InProgress';
      invocation.startedAt = new Date();
      const next = () => {
        if (--remaining === 0) this.runBatch(command, from + batch.length);
        this.changed();
      };
      const agent = this.options.hostAgent;
      if (agent) {
        void agent(host, command).then(
          ({ exitCode, stdout, stderr }) => {
            if (TERMINAL.has(invocation.status)) return;
            invocation.stdout = stdout;
            invocation.stderr = stderr;
            if (exitCode === 0) host.running[command.service] = command.imageTag;
            this.end(invocation, exitCode === 0 ? 'Success' : 'Failed', exitCode);
            next();
          },
          (error: unknown) => {
            invocation.stderr = String(error);
            this.end(invocation, 'Failed', 1);
            next();
          },
        );
        continue;
      }
      const jitter = Math.round(this.timing.redeployMs * 0.2 * Math.random());
      const group = command.service === 'api' ? this.loadBalancing.groupOf(host.environment) : null;
      if (group) {
        void this.redeployBehindLoadBalancer(host, command, invocation, group.name).then(next);
        continue;
      }
      this.later(this.timing.redeployMs + jitter, () => {
        if (TERMINAL.has(invocation.status)) return;
        this.redeployOn(host, command, invocation);
        if (--remaining === 0) this.runBatch(command, from + batch.length);
      });
    }
  }

  /**
   * The stand-in's model of redeploy.sh behind the load balancer: standby, drained, restarted,
   * back in service once healthy in the target group; a failure rolls back and stays on standby.
   */
  private async redeployBehindLoadBalancer(
    host: SimHost,
    command: SimCommand,
    invocation: SimInvocation,
    group: string,
  ): Promise<void> {
    const lb = this.loadBalancing;
    // Not `later`: a pause changes nothing, so it does not call onChange (the sandbox saves then).
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, ms);
        this.timers.add(timer);
      });
    const until = async (done: () => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!done() && Date.now() < deadline) await wait(100);
      return done();
    };
    const image = this.imageOf(command);
    const log = (line: string) => {
      invocation.stdout += scriptLine(line);
    };
    const fail = (code: number, message: string) => {
      invocation.stderr += scriptLine(`error: ${message}`);
      this.end(invocation, 'Failed', code);
    };
    // A cancelled command stops the script where it is, as SSM's kill would.
    const killed = () => TERMINAL.has(invocation.status);
    log(`lock taken; ${command.service} -> ${image}`);
    log(`pulling ${image}`);
    await wait(this.timing.redeployMs / 4);
    if (killed()) return;
    if (!this.hasImage(command.service, command.imageTag))
      return fail(3, `could not pull ${image}; nothing changed`);
    const state = lb.lifecycleOf(host.id);
    const standby = (id: string) => lb.enterStandby(group, id);
    const checks = lb.healthCheck;
    const verdictMs = checks.intervalMs * (checks.healthyThreshold + checks.unhealthyThreshold + 2);
    if (state === 'InService') {
      log(`taking ${host.id} out of service (standby in ${group})`);
      try {
        try {
          standby(host.id);
        } catch (refused) {
          // At the group's minimum: a host an earlier roll left on standby returns first.
          const others = lb.standbyIn(host.environment).filter((id) => id !== host.id);
          if (!others.length) throw refused;
          for (const other of others) {
            log(
              `${other} was left out of service by an earlier roll: returning it to service first`,
            );
            lb.exitStandby(group, other);
            await until(() => lb.targetStateOf(other) !== 'initial', verdictMs);
            if (killed()) return;
            if (lb.targetStateOf(other) !== 'healthy') throw refused;
          }
          standby(host.id);
        }
      } catch (error) {
        return fail(
          8,
          `${group} refused to put ${host.id} on standby; nothing changed (${(error as Error).message})`,
        );
      }
    } else if (state !== 'Standby' && state !== 'EnteringStandby')
      return fail(8, `${host.id} is ${String(state)} in ${group}, not InService; nothing changed`);
    log(`waiting for the target group to drain ${host.id}`);
    const drained = await until(
      () => lb.lifecycleOf(host.id) === 'Standby',
      lb.deregistrationDelayMs + 10_000,
    );
    if (killed()) return;
    if (!drained) return fail(8, `${host.id} did not leave the target group`);
    const left = `; ${host.id} is left out of service (standby in ${group})`;
    const previous = host.running[command.service] ?? '';
    log(`starting ${command.service}`);
    this.restarting.add(host.id);
    await wait(this.timing.redeployMs / 2);
    this.restarting.delete(host.id);
    if (killed()) return;
    if (this.failing.delete(host.id)) {
      log(`${command.service} did not become healthy on ${image}`);
      invocation.stderr += `${command.service}-1  | health check failed: GET /health/ready 503\n`;
      return fail(
        4,
        previous
          ? `${image} was unhealthy; rolled back to ${previous}${left}`
          : `${image} was unhealthy and there is no previous version to return to${left}`,
      );
    }
    host.running[command.service] = command.imageTag;
    log(`returning ${host.id} to service`);
    lb.exitStandby(group, host.id);
    log(`waiting for the target group to report ${host.id} healthy`);
    const healthy = await until(() => lb.targetStateOf(host.id) !== 'initial', verdictMs);
    if (killed()) return;
    if (!healthy || lb.targetStateOf(host.id) !== 'healthy') {
      // Out of service again, then back to what ran before.
      if (lb.lifecycleOf(host.id) === 'InService') standby(host.id);
      if (previous) host.running[command.service] = previous;
      return fail(
        7,
        `${image} was healthy but not in the target group; rolled back to ${previous}${left}`,
      );
    }
    log(`deployed ${image}; ${command.service} is healthy and ${host.id} is back in service`);
    this.end(invocation, 'Success', 0);
  }

  /** The image reference redeploy.sh pulls for a command. */
  private imageOf(command: SimCommand): string {
    return `${SIM_REGISTRY_ID}.dkr.ecr.${this.region}.amazonaws.com/${this.repositoryOf(command.service)}:${command.imageTag}`;
  }

  /** What redeploy.sh prints and does on one host. */
  private redeployOn(host: SimHost, command: SimCommand, invocation: SimInvocation): void {
    const image = this.imageOf(command);
    const log = scriptLine;
    const previous = host.running[command.service] ?? '';
    invocation.stdout =
      log(`lock taken; ${command.service} -> ${image}`) +
      log(`logging in to 123456789012.dkr.ecr.${this.region}.amazonaws.com`) +
      log(`pulling ${image}`);
    if (!this.hasImage(command.service, command.imageTag)) {
      invocation.stderr =
        `Error response from daemon: manifest for ${image} not found: manifest unknown\n` +
        log(`error: could not pull ${image}; nothing changed`);
      this.end(invocation, 'Failed', 3);
      return;
    }
    invocation.stdout += log(`starting ${command.service}`);
    if (this.failing.delete(host.id)) {
      invocation.stdout += log(`${command.service} did not become healthy on ${image}`);
      invocation.stderr =
        `${command.service}-1  | Error: connect ECONNREFUSED 10.0.3.21:5432\n` +
        `${command.service}-1  | health check failed: GET /health/ready 503\n`;
      if (previous) {
        invocation.stdout += log(`rolling back to ${previous}`);
        invocation.stderr += log(`error: ${image} was unhealthy; rolled back to ${previous}`);
      } else {
        delete host.running[command.service];
        invocation.stderr += log(
          `error: ${image} is unhealthy and there is no previous version to return to`,
        );
      }
      this.end(invocation, 'Failed', 4);
      return;
    }
    host.running[command.service] = command.imageTag;
    invocation.stdout += log(`deployed ${image}; ${command.service} is healthy`);
    this.end(invocation, 'Success', 0);
  }

  private end(invocation: SimInvocation, status: string, code: number, details = status): void {
    invocation.status = status;
    invocation.statusDetails = details;
    invocation.responseCode = code;
    invocation.finishedAt = new Date();
  }

  private listCommandInvocations(input: Record<string, unknown>) {
    const command = this.command(String(input['CommandId'] ?? ''));
    const details = input['Details'] === true;
    return this.page(
      command.invocations.map((i) => ({
        CommandId: command.id,
        InstanceId: i.instanceId,
        InstanceName: '',
        DocumentName: command.documentName,
        Comment: command.comment,
        RequestedDateTime: epoch(i.requestedAt),
        Status: i.status,
        StatusDetails: i.statusDetails,
        ...(details
          ? {
              CommandPlugins: [
                {
                  Name: 'redeploy',
                  Status: i.status,
                  StatusDetails: i.statusDetails,
                  ResponseCode: i.responseCode,
                  ...(i.startedAt ? { ResponseStartDateTime: epoch(i.startedAt) } : {}),
                  ...(i.finishedAt ? { ResponseFinishDateTime: epoch(i.finishedAt) } : {}),
                  // SSM keeps the first 2,500 characters here; the full text is in GetCommandInvocation.
                  Output: (i.stdout + i.stderr).slice(0, 2500),
                },
              ],
            }
          : {}),
      })),
      input,
      'CommandInvocations',
    );
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
      this.changed();
    }, ms);
    this.timers.add(timer);
  }

  // ---- control surface for other processes (the sandbox console) ----

  private control(method: string, path: string, raw: string): { status: number; body: unknown } {
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const fault = faultControl(this.faults, method, path, body);
    if (fault) return fault;
    if (method === 'POST' && path === '/_sim/aws/fail-next') {
      const instance = typeof body['instance'] === 'string' ? body['instance'] : undefined;
      if (instance && !this.hosts.some((h) => h.id === instance))
        return { status: 404, body: { message: `no host ${instance}` } };
      this.failNext(instance);
      return { status: 200, body: { failNext: instance ?? 'the last host of the next redeploy' } };
    }
    if (method === 'GET' && path === '/_sim/aws/hosts') return { status: 200, body: this.hosts };
    if ((method === 'POST' || method === 'DELETE') && path === '/_sim/aws/images') {
      const { service, tag } = body;
      if (typeof service !== 'string' || !this.options.services.includes(service))
        return { status: 404, body: { message: `no service ${String(service)}` } };
      if (typeof tag !== 'string' || !IMAGE_VERSION_PATTERN.test(tag))
        return { status: 400, body: { message: 'tag must be an image version' } };
      if (method === 'POST') this.pushImage(service, tag);
      else this.deleteImage(service, tag);
      return { status: 200, body: { repository: this.repositoryOf(service), tag } };
    }
    return { status: 404, body: { message: `no control route ${method} ${path}` } };
  }
}

/** A line as redeploy.sh logs it. */
function scriptLine(line: string): string {
  return `${new Date().toISOString().slice(0, 19)}Z redeploy: ${line}\n`;
}

function limitOf(value: string, total: number): number {
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return Math.floor((total * Number(percent[1])) / 100);
  return Number(value) || 0;
}

function epoch(date: Date): number {
  return date.getTime() / 1000;
}

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An answer in the AWS JSON 1.1 protocol (SSM, ECR): the body, or the fault by its type. */
function answerJson11(res: ServerResponse, body: unknown, fault?: AwsFault): void {
  if (fault) {
    res.writeHead(fault.status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': fault.code,
    });
    res.end(JSON.stringify({ __type: fault.code, message: fault.message }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

function asFault(error: unknown): AwsFault {
  if (error instanceof AwsFault) return error;
  return new AwsFault(500, 'InternalServerError', (error as Error).message);
}
