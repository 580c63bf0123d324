import {
  jsonOrUndefined,
  prepareGithubConformance,
  readBody,
  recordGithubDelivery,
  recordGithubExchange,
  FaultPlan,
  faultControl,
  SimHttpServer,
} from '@chatops/sim-kit';
import { createHash, createHmac, randomUUID, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { components } from '@octokit/openapi-types';
import { CommitGraph, PushedCommit, shaOf, SimCommit } from './commit-graph';
import {
  repositoryJson,
  SIM_ACTOR,
  simpleUser,
  workflowJobJson,
  workflowJson,
  workflowRunJson,
  type RepoContext,
} from './payloads';

export { shaOf } from './commit-graph';

type Schemas = components['schemas'];
/** Run and job payloads as GitHub's OpenAPI description types them (the fields we produce). */
export type SimRunPayload = Pick<
  Schemas['workflow-run'],
  | 'id'
  | 'name'
  | 'display_title'
  | 'status'
  | 'conclusion'
  | 'html_url'
  | 'url'
  | 'event'
  | 'head_branch'
  | 'head_sha'
  | 'path'
  | 'run_number'
  | 'run_attempt'
  | 'workflow_id'
  | 'created_at'
  | 'updated_at'
  | 'run_started_at'
>;
export type SimJobPayload = Pick<
  Schemas['job'],
  | 'id'
  | 'run_id'
  | 'run_url'
  | 'name'
  | 'status'
  | 'conclusion'
  | 'started_at'
  | 'completed_at'
  | 'created_at'
  | 'html_url'
  | 'head_sha'
  | 'workflow_name'
  | 'labels'
  | 'steps'
>;
type StepPayload = NonNullable<Schemas['job']['steps']>[number];

export interface SimWorkflow {
  /** File name under .github/workflows, as the dispatch URL names it. */
  file: string;
  name: string;
  /** The workflow's `run-name`, from its inputs. */
  runName: (inputs: Record<string, string>) => string;
  inputs: string[];
  /** Inputs the workflow does not require (the rest must be given, as GitHub checks). */
  optionalInputs?: string[];
  jobs: {
    name: string;
    steps: string[];
    /** The GitHub environment the job deploys to (its protection rules apply), from the inputs. */
    environment?: (inputs: Record<string, string>) => string;
  }[];
  /** The jobs that run for these inputs (the rest are skipped, as a job-level `if:` does). */
  runs?: (inputs: Record<string, string>) => string[];
}

export interface GithubSimulatorOptions {
  owner: string;
  repo: string;
  /** The token (or installation token) the stand-in accepts as `Authorization: token|Bearer …`. */
  token: string;
  /**
   * A GitHub App allowed to exchange its JWT (RS256, signed with the app's private key) for an
   * installation token, which is `token` above.
   */
  app?: { appId: string; publicKeyPem: string; installationId: number };
  /** Where signed `workflow_run` / `workflow_job` deliveries go; none when unset. */
  webhook?: { url: string; secret: string };
  /** The events the repository's webhook subscribes to (default workflow_job, workflow_run). */
  webhookEvents?: string[];
  /** How long a run stays queued and each step takes (defaults 800 ms, 600 ms). */
  timing?: { queuedMs: number; stepMs: number };
  workflows?: SimWorkflow[];
  branches?: string[];
  tags?: string[];
  log?: (line: string) => void;
  /**
   * Told when a run ends, before its completion webhook: what the workflow would have done
   * elsewhere happens here (the sandbox makes a successful deploy change its AWS stand-in).
   */
  onRunCompleted?: (run: {
    workflow: string;
    inputs: Record<string, string>;
    headSha: string;
    conclusion: string;
  }) => void;
  /**
   * GitHub environments that protect their jobs: required reviewers (the tokens of users who
   * may approve through `pending_deployments`), and/or a custom deployment protection rule of
   * the App (a `deployment_protection_rule` delivery, answered at its callback URL).
   */
  environments?: Record<string, EnvironmentProtection>;
  /** State from an earlier `snapshot()`: runs, their ids and the knobs carry on from there. */
  state?: GithubSimState;
  /**
   * Called, synchronously, after every change to the state (before the answer or webhook that
   * reports it), so a caller can persist `snapshot()` and a killed stand-in loses nothing it told.
   */
  onChange?: () => void;
}

/** Everything the stand-in knows, as JSON (what `snapshot()` returns and `state` restores). */
export interface GithubSimState {
  version: 1;
  nextRunId: number;
  nextJobId: number;
  failNextRun: FailureKnob | null;
  webhooksEnabled: boolean;
  runs: {
    workflow: string;
    payload: SimRunPayload;
    inputs: Record<string, string>;
    jobs: SimJobPayload[];
    cancelRequested: boolean;
    failure: FailureKnob | null;
    planSerial?: number;
    gates?: SimGate[];
  }[];
  /** Commits pushed while running (absent from states saved before there were any). */
  pushed?: PushedCommit[];
  /** Terraform state serial per environment (absent from older states). */
  stateSerials?: Record<string, number>;
}

export interface EnvironmentProtection {
  reviewers?: { login: string; token: string }[];
  protectionRule?: boolean;
}

/** A protected environment a run waits on, and how it was answered. */
export interface SimGate {
  environment: string;
  state: 'waiting' | 'approved' | 'rejected';
  /** Who answered: a reviewer's login, or `app` for the protection rule. */
  by?: string;
  comment?: string;
}

export interface FailureKnob {
  /** The job and step to fail (default: the last step of the first job). */
  job?: string;
  step?: string;
}

const deployRunName = (i: Record<string, string>) =>
  `Deploy ${i['service'] ?? '?'} to ${i['environment'] ?? '?'} @ ${i['ref'] ?? '?'} [${i['request_id'] ?? '?'}]`;

/** Shaped like the repository's own workflows (.github/workflows/{deploy,infra,ami}.yml). */
export const DEFAULT_WORKFLOWS: SimWorkflow[] = [
  {
    file: 'deploy.yml',
    name: 'Deploy',
    runName: deployRunName,
    inputs: ['service', 'environment', 'ref', 'request_id'],
    jobs: [
      {
        name: 'build',
        steps: [
          'Set up job',
          'Check out',
          'Build image',
          'Scan image',
          'Keep the image for the rollout',
        ],
      },
      {
        name: 'rollout',
        environment: (i) => i['environment'] ?? '',
        steps: [
          'Set up job',
          'Assume the deploy role',
          'Push to ECR',
          'Set desired version',
          'SSM redeploy',
          'Smoke test',
        ],
      },
    ],
  },
  {
    file: 'infra.yml',
    name: 'Infrastructure',
    runName: (i) =>
      `Terraform ${i['action'] ?? '?'} ${i['environment'] ?? '?'} [${i['request_id'] ?? '?'}]`,
    inputs: ['action', 'environment', 'request_id', 'plan_run_id'],
    optionalInputs: ['plan_run_id'],
    jobs: [
      {
        name: 'plan',
        steps: ['Set up job', 'Check out', 'Init', 'Plan', 'Encrypt the plan', 'Keep the plan'],
      },
      {
        name: 'apply',
        environment: (i) => `infra-${i['environment'] ?? ''}`,
        steps: ['Set up job', 'Fetch the plan', 'Check out', 'Init', 'Decrypt the plan', 'Apply'],
      },
    ],
    // /infra plan plans; /infra apply applies an earlier run's plan; /infra destroy does both.
    runs: (i) =>
      i['action'] === 'plan' ? ['plan'] : i['action'] === 'apply' ? ['apply'] : ['plan', 'apply'],
  },
  {
    file: 'ami.yml',
    name: 'AMI',
    runName: (i) => `Build AMI [${i['request_id'] ?? '?'}]`,
    inputs: ['request_id'],
    jobs: [{ name: 'packer', steps: ['Set up job', 'Init', 'Build', 'Print AMI id'] }],
  },
];

interface SimRun {
  payload: SimRunPayload;
  inputs: Record<string, string>;
  workflow: SimWorkflow;
  jobs: SimJobPayload[];
  cancelRequested: boolean;
  failure: FailureKnob | null;
  /** An infra plan: the environment's state serial it was made against. */
  planSerial?: number;
  /** The protected environments it waited on. */
  gates?: SimGate[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const API_VERSION_HEADERS = { 'x-github-media-type': 'github.v3; format=json' };

/**
 * GitHub's REST API for what the platform uses, on loopback: refs, workflow dispatch (with and
 * without `return_run_details`, like github.com and an older GHES), runs that move through
 * queued, jobs and steps in real time, cancellation, and signed webhooks. Knobs make the next
 * run fail, turn webhooks off (to exercise polling), make the API answer errors, or behave like
 * a server that rejects `return_run_details`.
 */
export class GithubSimulator {
  /** Every API request as `METHOD /path`, in order (tests and the benchmark count them). */
  readonly requests: { route: string; at: number }[] = [];
  readonly deliveries: { event: string; action: string; status: number }[] = [];
  /** Like GitHub Enterprise Server before `return_run_details`: reject the parameter with 422. */
  legacyDispatch = false;
  webhooksEnabled = true;
  private readonly runs = new Map<number, SimRun>();
  /** Protected GitHub environments (see `GithubSimulatorOptions.environments`); adjustable. */
  readonly environments: Record<string, EnvironmentProtection>;
  /** Every kept artifact reads as expired (GitHub deleted it after its retention). */
  artifactsExpired = false;
  /** Terraform state serial per environment (see `terraformStep`). */
  private readonly stateSerials = new Map<string, number>();
  private readonly workflows: SimWorkflow[];
  private readonly branches: string[];
  private readonly tags: string[];
  private readonly graph: CommitGraph;
  /** Adjustable while running (tests slow runs down to catch them in flight). */
  timing: { queuedMs: number; stepMs: number };
  private readonly http: SimHttpServer;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly executing = new Set<number>();
  private nextRunId = 9_000_000_001;
  private nextJobId = 7_000_000_001;
  private failNextRun: FailureKnob | null = null;
  private stallDispatch: 'before-run' | 'after-run' | null = null;
  private readonly stalled = new Set<ServerResponse>();
  /** Outages and injected errors (`failNextRequests`, `POST /_sim/faults`). */
  readonly faults = new FaultPlan();
  private stopped = false;

  constructor(private readonly options: GithubSimulatorOptions) {
    this.workflows = options.workflows ?? DEFAULT_WORKFLOWS;
    this.branches = options.branches ?? ['main', 'develop', 'release/1.4'];
    this.tags = options.tags ?? ['v1.4.0', 'v1.3.2'];
    this.graph = new CommitGraph(this.branches, this.tags, options.state?.pushed ?? []);
    this.environments = { ...(options.environments ?? {}) };
    this.timing = options.timing ?? { queuedMs: 800, stepMs: 600 };
    this.http = new SimHttpServer('GitHub stand-in', (req, res) => void this.handle(req, res));
    if (options.state) this.restore(options.state);
  }

  /** The state as JSON, for `state` on a later start (the sandbox keeps it across restarts). */
  snapshot(): GithubSimState {
    return {
      version: 1,
      nextRunId: this.nextRunId,
      nextJobId: this.nextJobId,
      failNextRun: this.failNextRun,
      webhooksEnabled: this.webhooksEnabled,
      runs: [...this.runs.values()].map((run) => ({
        workflow: run.workflow.file,
        payload: run.payload,
        inputs: run.inputs,
        jobs: run.jobs,
        cancelRequested: run.cancelRequested,
        failure: run.failure,
        ...(run.planSerial !== undefined ? { planSerial: run.planSerial } : {}),
        ...(run.gates ? { gates: run.gates } : {}),
      })),
      pushed: this.graph.pushedCommits(),
      stateSerials: Object.fromEntries(this.stateSerials),
    };
  }

  private restore(state: GithubSimState): void {
    if (state.version !== 1)
      throw new Error(`GitHub stand-in state version ${String(state.version)} is not 1`);
    for (const saved of state.runs) {
      const workflow = this.workflows.find((w) => w.file === saved.workflow);
      if (!workflow)
        throw new Error(`GitHub stand-in state names an unknown workflow ${saved.workflow}`);
      const { workflow: _file, ...rest } = saved;
      this.runs.set(Number(saved.payload.id), { ...structuredClone(rest), workflow });
    }
    // Never hand out an id twice, even if the counters were saved behind the runs.
    const runIds = [...this.runs.keys()];
    const jobIds = [...this.runs.values()].flatMap((r) => r.jobs.map((j) => Number(j.id)));
    this.nextRunId = Math.max(state.nextRunId, ...runIds.map((id) => id + 1), this.nextRunId);
    this.nextJobId = Math.max(state.nextJobId, ...jobIds.map((id) => id + 1), this.nextJobId);
    this.failNextRun = state.failNextRun;
    this.webhooksEnabled = state.webhooksEnabled;
    for (const [environment, serial] of Object.entries(state.stateSerials ?? {}))
      this.stateSerials.set(environment, serial);
  }

  /**
   * Runs that were still queued or in progress when the state was saved carry on from the step
   * they were in (GitHub's runners do not stop because we did). Call it once whoever receives the
   * webhooks is listening again.
   */
  resume(): void {
    for (const run of this.runs.values())
      if (run.payload.status !== 'completed' && !this.executing.has(Number(run.payload.id)))
        void this.execute(run);
  }

  private changed(): void {
    this.options.onChange?.();
  }

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    prepareGithubConformance();
    await this.http.listen(port, host);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const res of this.stalled) res.destroy();
    await this.http.close();
  }

  private get context(): RepoContext {
    return { owner: this.options.owner, repo: this.options.repo, baseUrl: this.baseUrl };
  }

  /** A run as GitHub answers and delivers it. */
  private runJson(run: SimRun) {
    return workflowRunJson(this.context, run.payload, this.graph.get(run.payload.head_sha) ?? null);
  }

  private jobJson(run: SimRun, job: SimJobPayload) {
    return workflowJobJson(this.context, job, run.payload.head_branch ?? null);
  }

  get baseUrl(): string {
    return this.http.url;
  }

  /** The next dispatched run fails at this job and step. */
  failNext(knob: FailureKnob = {}): void {
    this.failNextRun = knob;
  }

  /**
   * The next dispatch is never answered, as when the caller dies (or the network drops) in the
   * middle of it: `before-run` starts no run (the request was lost), `after-run` starts the run
   * and loses only the answer. Crash-recovery tests kill the caller while it waits.
   */
  stallNextDispatch(mode: 'before-run' | 'after-run'): void {
    this.stallDispatch = mode;
  }

  /** The next `count` API requests (matching `route`, `METHOD /path`) answer `status` (5xx, 403 rate limit…). */
  failNextRequests(count: number, status = 502, route = /./): void {
    this.faults.failNext(route, count, status);
  }

  /** New commits on `branch` (GitHub's side of a `git push`); the newest last. */
  pushCommits(branch: string, count: number, message?: string, author?: string): SimCommit[] {
    const made = this.graph.push(branch, count, message, author);
    if (!this.branches.includes(branch)) this.branches.push(branch);
    this.changed();
    return made;
  }

  run(id: string | number): SimRunPayload | undefined {
    return this.runs.get(Number(id))?.payload;
  }

  listRuns(): SimRunPayload[] {
    return [...this.runs.values()].map((r) => r.payload);
  }

  /** Requests since `since` (ms epoch) whose route matches. */
  countRequests(pattern: RegExp, since = 0): number {
    return this.requests.filter((r) => r.at >= since && pattern.test(r.route)).length;
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://github');
    // Set once the request is a REST call: its answer is then held to GitHub's description.
    let exchange: { method: string; path: string; request: unknown } | null = null;
    const send = (
      status: number,
      body: unknown,
      type = 'application/json; charset=utf-8',
      headers: Record<string, string> = {},
    ) => {
      if (exchange)
        recordGithubExchange({
          ...exchange,
          status,
          response: body,
          json: type.startsWith('application/json'),
        });
      res.writeHead(status, {
        ...headers,
        ...(body === undefined ? {} : { 'content-type': type }),
        ...API_VERSION_HEADERS,
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': status === 403 ? '0' : '4999',
        'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1),
      });
      res.end(
        body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      );
    };
    try {
      const raw = await readBody(req);
      // Where a job's log redirect points: a short-lived signed URL, fetched without the token.
      const blob = /^\/_blob\/job-logs\/(\d+)$/.exec(url.pathname);
      if (blob && req.method === 'GET') {
        if (url.searchParams.get('sig') !== this.blobSignature(blob[1] ?? ''))
          return send(403, 'AuthenticationFailed', 'text/plain');
        const log = this.jobLog(Number(blob[1]));
        return log === null
          ? send(404, 'BlobNotFound', 'text/plain')
          : send(200, log, 'text/plain');
      }
      if (url.pathname.startsWith('/_sim/')) {
        const result = this.control(req.method ?? 'GET', url.pathname, raw);
        if (req.method !== 'GET') this.changed();
        return send(result.status, result.body);
      }
      // An outage: the connection is dropped unanswered, as when GitHub is unreachable.
      if (this.faults.down) {
        req.socket.destroy();
        return;
      }
      const route = `${req.method} ${url.pathname}`;
      exchange = { method: req.method ?? 'GET', path: url.pathname, request: jsonOrUndefined(raw) };
      this.requests.push({ route, at: Date.now() });
      const auth = req.headers.authorization ?? '';
      const installation = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
      if (req.method === 'POST' && installation)
        return send(201, this.installationToken(Number(installation[1]), auth));
      // What an App says of itself (its events, its webhook) is asked with its JWT.
      if (req.method === 'GET' && (url.pathname === '/app' || url.pathname === '/app/hook/config'))
        return send(200, this.appAnswer(url.pathname, auth));
      const presented = /^(?:token|bearer) (.+)$/i.exec(auth)?.[1] ?? '';
      const reviewer = Object.values(this.environments).some((e) =>
        e.reviewers?.some((r) => r.token === presented),
      );
      if (presented !== this.options.token && !reviewer)
        throw new HttpError(401, 'Bad credentials');
      // A reviewer's token (a user's) reaches what a user may do here: review deployments.
      if (presented !== this.options.token && !/\/pending_deployments$/.test(url.pathname))
        throw new HttpError(403, 'Resource not accessible by this token in the stand-in.');
      const status = this.faults.take(route);
      if (status !== null) {
        throw new HttpError(
          status,
          status === 403 ? 'API rate limit exceeded for installation.' : 'Server Error',
        );
      }
      const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      const stall = /\/dispatches$/.test(url.pathname) ? this.stallDispatch : null;
      if (stall) {
        this.stallDispatch = null;
        if (stall === 'after-run') {
          this.route(req.method ?? 'GET', url, body, String(req.headers.accept ?? ''));
          this.changed();
        }
        this.stalled.add(res);
        res.once('close', () => this.stalled.delete(res));
        return;
      }
      const result = this.route(
        req.method ?? 'GET',
        url,
        body,
        String(req.headers.accept ?? ''),
        presented,
      );
      if (req.method !== 'GET') this.changed();
      if (result === undefined) return send(204, undefined);
      if (typeof result === 'object' && result !== null && 'status' in result && 'body' in result) {
        const r = result as {
          status: number;
          body: unknown;
          type?: string;
          headers?: Record<string, string>;
        };
        return send(r.status, r.body, r.type, r.headers);
      }
      return send(200, result);
    } catch (error) {
      if (error instanceof HttpError)
        return send(error.status, {
          message: error.message,
          documentation_url: 'https://docs.github.com/rest',
          status: String(error.status),
        });
      if (error instanceof SyntaxError) return send(400, { message: 'Problems parsing JSON' });
      this.options.log?.(`github: 500 ${(error as Error).stack}`);
      send(500, { message: 'Server Error' });
    }
  }

  private route(
    method: string,
    url: URL,
    body: Record<string, unknown>,
    accept: string,
    token = this.options.token,
  ): unknown {
    const prefix = `/repos/${this.options.owner}/${this.options.repo}`;
    // GET /repos/{owner}/{repo} answers the full repository, with the counts the short one lacks.
    if (method === 'GET' && url.pathname === prefix)
      return {
        ...repositoryJson(this.context),
        has_discussions: false,
        network_count: 0,
        subscribers_count: 1,
      };
    if (!url.pathname.startsWith(`${prefix}/`)) throw new HttpError(404, 'Not Found');
    const path = decodeURIComponent(url.pathname.slice(prefix.length));
    const q = url.searchParams;
    const perPage = Math.min(Number(q.get('per_page') ?? 30), 100);
    let m: RegExpExecArray | null;

    if (method === 'GET' && path === '/branches')
      return this.branches.slice(0, perPage).map((name) => ({
        name,
        commit: { sha: this.tip(name), url: `${this.baseUrl}${prefix}/commits/${this.tip(name)}` },
        protected: name === 'main',
      }));
    if (method === 'GET' && path === '/tags')
      return this.tags.slice(0, perPage).map((name) => ({
        name,
        commit: { sha: this.tip(name), url: `${this.baseUrl}${prefix}/commits/${this.tip(name)}` },
        zipball_url: `${this.baseUrl}${prefix}/zipball/refs/tags/${name}`,
        tarball_url: `${this.baseUrl}${prefix}/tarball/refs/tags/${name}`,
        node_id: `REF_${shaOf(`tag:${name}`).slice(0, 20)}`,
      }));
    if (method === 'GET' && path === '/commits') {
      const from = this.graph.resolve(q.get('sha') ?? 'main');
      if (!from) throw new HttpError(404, 'Not Found');
      return this.graph.history(from, perPage).map((c) => this.commitJson(c));
    }
    if (method === 'GET' && (m = /^\/commits\/(.+)$/.exec(path))) {
      const sha = this.resolveRef(m[1] ?? '');
      if (!sha) throw new HttpError(422, `No commit found for SHA: ${m[1]}`);
      return accept.includes('sha')
        ? { status: 200, body: sha, type: 'application/vnd.github.sha; charset=utf-8' }
        : {
            ...this.commitJson(this.graph.get(sha) as SimCommit),
            files: [],
            stats: { additions: 1, deletions: 0, total: 1 },
          };
    }
    if (method === 'GET' && (m = /^\/compare\/(.+?)(\.\.\.?)(.+)$/.exec(path))) {
      const base = this.graph.resolve(m[1] ?? '');
      const head = this.graph.resolve(m[3] ?? '');
      if (!base || !head) throw new HttpError(404, 'Not Found');
      return this.compareJson(m[1] ?? '', m[3] ?? '', base, head, q);
    }
    if (method === 'POST' && (m = /^\/actions\/workflows\/([^/]+)\/dispatches$/.exec(path)))
      return this.dispatch(m[1] ?? '', body);
    if (method === 'GET' && (m = /^\/actions\/workflows\/([^/]+)$/.exec(path))) {
      const workflow = this.workflow(m[1] as string);
      return workflowJson(this.context, workflow, this.workflows.indexOf(workflow) + 1);
    }
    if (method === 'GET' && (m = /^\/contents\/\.github\/workflows\/([^/]+)$/.exec(path)))
      return this.workflowFile(m[1] as string);
    if (method === 'GET' && path === '/hooks') return this.hooks();
    if (method === 'GET' && (m = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(path))) {
      const workflow = this.workflow(m[1] ?? '');
      const created = /^>=(.+)$/.exec(q.get('created') ?? '')?.[1];
      const runs = [...this.runs.values()]
        .filter((r) => r.workflow === workflow)
        .filter((r) => !q.get('event') || r.payload.event === q.get('event'))
        .filter((r) => !created || r.payload.created_at >= created)
        .map((r) => this.runJson(r))
        .reverse();
      return { total_count: runs.length, workflow_runs: runs.slice(0, perPage) };
    }
    if (method === 'GET' && (m = /^\/actions\/runs\/(\d+)$/.exec(path)))
      return this.runJson(this.simRun(m[1] ?? ''));
    if (method === 'GET' && (m = /^\/actions\/runs\/(\d+)\/jobs$/.exec(path))) {
      const run = this.simRun(m[1] ?? '');
      return { total_count: run.jobs.length, jobs: run.jobs.map((j) => this.jobJson(run, j)) };
    }
    if ((m = /^\/actions\/runs\/(\d+)\/pending_deployments$/.exec(path))) {
      const run = this.simRun(m[1] ?? '');
      if (method === 'GET') return this.pendingDeployments(run, token);
      if (method === 'POST') return this.reviewPending(run, body, token);
    }
    if (
      method === 'POST' &&
      (m = /^\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(path))
    ) {
      if (token !== this.options.token)
        throw new HttpError(403, 'Only the GitHub App of the rule can review it.');
      return this.reviewProtectionRule(this.simRun(m[1] ?? ''), body);
    }
    if (method === 'GET' && (m = /^\/actions\/runs\/(\d+)\/artifacts$/.exec(path))) {
      const artifacts = this.artifactsOf(this.simRun(m[1] ?? ''));
      return { total_count: artifacts.length, artifacts };
    }
    if (method === 'GET' && (m = /^\/check-runs\/(\d+)\/annotations$/.exec(path))) {
      const annotations = this.annotationsOf(Number(m[1]));
      if (!annotations) throw new HttpError(404, 'Not Found');
      return annotations;
    }
    if (method === 'GET' && (m = /^\/actions\/jobs\/(\d+)\/logs$/.exec(path))) {
      const id = m[1] ?? '';
      if (this.jobLog(Number(id)) === null) throw new HttpError(404, 'Not Found');
      // As GitHub: a redirect to the log's download URL, valid for a minute.
      return {
        status: 302,
        body: undefined,
        headers: { location: `${this.baseUrl}/_blob/job-logs/${id}?sig=${this.blobSignature(id)}` },
      };
    }
    if (method === 'POST' && (m = /^\/actions\/runs\/(\d+)\/cancel$/.exec(path))) {
      const run = this.simRun(m[1] ?? '');
      if (run.payload.status === 'completed')
        throw new HttpError(409, 'Cannot cancel a workflow run that is completed.');
      run.cancelRequested = true;
      return { status: 202, body: {} };
    }
    throw new HttpError(404, 'Not Found');
  }

  private dispatch(workflowId: string, body: Record<string, unknown>): unknown {
    const workflow = this.workflow(workflowId);
    const keys = Object.keys(body);
    if (this.legacyDispatch && keys.includes('return_run_details'))
      throw new HttpError(422, 'Invalid request.\n\n"return_run_details" is not a permitted key.');
    const ref = typeof body['ref'] === 'string' ? body['ref'] : '';
    // GitHub runs a workflow from a branch or a tag, never from a bare commit.
    const sha = this.graph.isBranchOrTag(ref) ? this.resolveRef(ref) : null;
    if (!sha) throw new HttpError(422, `No ref found for: ${ref}`);
    const inputs = (body['inputs'] ?? {}) as Record<string, string>;
    const unexpected = Object.keys(inputs).filter((k) => !workflow.inputs.includes(k));
    if (unexpected.length)
      throw new HttpError(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    const missing = workflow.inputs.filter(
      (k) => !inputs[k] && !workflow.optionalInputs?.includes(k),
    );
    if (missing.length) throw new HttpError(422, `Required input '${missing[0]}' not provided`);

    const id = this.nextRunId++;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const html = `https://github.com/${this.options.owner}/${this.options.repo}/actions/runs/${id}`;
    const run: SimRun = {
      workflow,
      inputs,
      jobs: [],
      cancelRequested: false,
      failure: this.failNextRun,
      payload: {
        id,
        name: workflow.name,
        display_title: workflow.runName(inputs),
        status: 'queued',
        conclusion: null,
        html_url: html,
        url: `${this.baseUrl}/repos/${this.options.owner}/${this.options.repo}/actions/runs/${id}`,
        event: 'workflow_dispatch',
        head_branch: ref,
        head_sha: sha,
        path: `.github/workflows/${workflow.file}`,
        run_number: this.runs.size + 1,
        run_attempt: 1,
        workflow_id: this.workflows.indexOf(workflow) + 1,
        created_at: now,
        updated_at: now,
        run_started_at: now,
      },
    };
    this.failNextRun = null;
    this.runs.set(id, run);
    this.options.log?.(
      `github: dispatched ${workflow.file} as run ${id} (${run.payload.display_title})`,
    );
    void this.execute(run);
    if (body['return_run_details'] === true)
      return { workflow_run_id: id, run_url: run.payload.url, html_url: html };
    return undefined;
  }

  /** GitHub App authentication: a valid app JWT buys an installation token. */
  private installationToken(installationId: number, auth: string): unknown {
    const app = this.appOf(auth);
    if (installationId !== app.installationId) throw new HttpError(404, 'Not Found');
    return {
      token: this.options.token,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      permissions: { actions: 'write', contents: 'read' },
      repository_selection: 'selected',
    };
  }

  /** `GET /app` and `GET /app/hook/config`: the App, its events and its webhook. */
  private appAnswer(path: string, auth: string): unknown {
    const app = this.appOf(auth);
    const hook = this.options.webhook;
    if (path === '/app/hook/config')
      return hook
        ? { url: hook.url, content_type: 'json', insecure_ssl: '0', secret: '********' }
        : {};
    const owner = simpleUser(this.options.owner);
    return {
      id: Number(app.appId),
      slug: 'chatops',
      client_id: `Iv1.${app.appId.padStart(16, '0')}`,
      node_id: `A_${app.appId}`,
      owner,
      name: 'ChatOps',
      description: 'Deploys from Discord',
      external_url: 'https://chatops.example.com',
      html_url: 'https://github.com/apps/chatops',
      created_at: '2025-01-06T09:00:00Z',
      updated_at: '2025-01-06T09:00:00Z',
      permissions: { actions: 'write', contents: 'read', deployments: 'write' },
      events: hook ? (this.options.webhookEvents ?? ['workflow_job', 'workflow_run']) : [],
      installations_count: 1,
    };
  }

  /** The App whose valid JWT `auth` carries (RS256 with its key, its id as issuer, not expired). */
  private appOf(auth: string): NonNullable<GithubSimulatorOptions['app']> {
    const app = this.options.app;
    const jwt = /^bearer (.+)$/i.exec(auth)?.[1] ?? '';
    const [header, payload, signature] = jwt.split('.');
    if (!app || !header || !payload || !signature)
      throw new HttpError(401, 'A JSON web token could not be decoded');
    const valid = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      app.publicKeyPem,
      Buffer.from(signature, 'base64url'),
    );
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
      iss?: string | number;
      exp?: number;
    };
    if (!valid || String(claims.iss) !== app.appId || (claims.exp ?? 0) * 1000 < Date.now())
      throw new HttpError(401, "'Issuer' claim ('iss') must be an Integer");
    return app;
  }

  // ---- runs moving in real time ----

  /** Moves a run to its end; from where it stands, so a restored run carries on. */
  private async execute(run: SimRun): Promise<void> {
    this.executing.add(Number(run.payload.id));
    try {
      if (run.payload.status === 'queued') {
        await this.deliver('workflow_run', 'requested', run);
        await this.sleep(this.timing.queuedMs);
        this.setRun(run, 'in_progress', null);
        this.changed();
        await this.deliver('workflow_run', 'in_progress', run);
      }
      const running = run.workflow.runs?.(run.inputs) ?? run.workflow.jobs.map((j) => j.name);
      const failAt = run.failure
        ? { job: run.failure.job ?? running[0], step: run.failure.step }
        : null;
      let outcome: 'success' | 'failure' | 'cancelled' = 'success';
      const settle = (conclusion: string | null | undefined) => {
        if (conclusion === 'failure') outcome = 'failure';
        else if (conclusion === 'cancelled' && outcome === 'success') outcome = 'cancelled';
      };
      for (const [index, definition] of run.workflow.jobs.entries()) {
        // Jobs are created in the workflow's order, so the index finds a restored one.
        const existing = run.jobs[index];
        if (existing?.status === 'completed') {
          settle(existing.conclusion);
          continue;
        }
        const job = existing ?? this.createJob(run, definition);
        if (!running.includes(definition.name)) {
          this.finishJob(job, 'skipped');
          this.changed();
          continue;
        }
        if (outcome !== 'success') {
          this.finishJob(job, outcome === 'cancelled' ? 'cancelled' : 'skipped');
          this.changed();
          continue;
        }
        const gated = await this.passGate(run, job, definition);
        if (gated !== 'approved') {
          outcome = gated === 'rejected' ? 'failure' : 'cancelled';
          this.finishJob(job, outcome);
          this.changed();
          await this.deliver('workflow_job', 'completed', run, job);
          continue;
        }
        if (job.status === 'queued') {
          this.changed();
          await this.deliver('workflow_job', 'queued', run, job);
          job.status = 'in_progress';
          job.started_at = stamp();
          this.changed();
          await this.deliver('workflow_job', 'in_progress', run, job);
        }
        const failStep =
          failAt && failAt.job === definition.name
            ? (failAt.step ?? definition.steps[definition.steps.length - 1])
            : undefined;
        for (const step of job.steps ?? []) {
          if (step.status === 'completed') {
            settle(step.conclusion);
            continue;
          }
          if (outcome !== 'success') {
            step.status = 'completed';
            step.conclusion = outcome === 'cancelled' ? 'cancelled' : 'skipped';
            continue;
          }
          step.status = 'in_progress';
          step.started_at = stamp();
          this.changed();
          await this.sleep(this.timing.stepMs);
          step.status = 'completed';
          step.completed_at = stamp();
          if (run.cancelRequested) {
            step.conclusion = 'cancelled';
            outcome = 'cancelled';
          } else if (step.name === failStep || !this.terraformStep(run, step.name)) {
            step.conclusion = 'failure';
            outcome = 'failure';
          } else step.conclusion = 'success';
          this.changed();
        }
        this.finishJob(job, outcome);
        this.changed();
        await this.deliver('workflow_job', 'completed', run, job);
      }
      this.setRun(run, 'completed', outcome);
      this.changed();
      this.options.onRunCompleted?.({
        workflow: run.workflow.file,
        inputs: run.inputs,
        headSha: run.payload.head_sha,
        conclusion: outcome,
      });
      await this.deliver('workflow_run', 'completed', run);
    } catch (error) {
      if (!this.stopped)
        this.options.log?.(`github: run ${run.payload.id} broke: ${(error as Error).message}`);
    } finally {
      this.executing.delete(Number(run.payload.id));
    }
  }

  private createJob(run: SimRun, definition: { name: string; steps: string[] }): SimJobPayload {
    const id = this.nextJobId++;
    const job: SimJobPayload = {
      id,
      run_id: run.payload.id,
      run_url: run.payload.url,
      name: definition.name,
      status: 'queued',
      conclusion: null,
      created_at: stamp(),
      started_at: stamp(),
      completed_at: null,
      html_url: `${run.payload.html_url}/job/${id}`,
      head_sha: run.payload.head_sha,
      workflow_name: run.workflow.name,
      labels: ['ubuntu-24.04'],
      steps: definition.steps.map(
        (name, index): StepPayload => ({
          name,
          number: index + 1,
          status: 'queued',
          conclusion: null,
          started_at: null,
          completed_at: null,
        }),
      ),
    };
    run.jobs.push(job);
    return job;
  }

  private finishJob(
    job: SimJobPayload,
    conclusion: 'success' | 'failure' | 'cancelled' | 'skipped',
  ) {
    job.status = 'completed';
    job.conclusion = conclusion;
    job.completed_at = stamp();
    for (const step of job.steps ?? []) {
      if (step.status !== 'completed') {
        step.status = 'completed';
        step.conclusion = conclusion === 'success' ? 'success' : 'skipped';
      }
    }
  }

  private setRun(run: SimRun, status: string, conclusion: string | null) {
    run.payload.status = status;
    run.payload.conclusion = conclusion;
    run.payload.updated_at = stamp();
  }

  private async deliver(
    event: 'workflow_run' | 'workflow_job' | 'deployment_protection_rule',
    action: string,
    run: SimRun,
    job?: SimJobPayload,
    fields: Record<string, unknown> = {},
  ): Promise<void> {
    const hook = this.options.webhook;
    if (!hook || !this.webhooksEnabled || this.stopped) return;
    const repository = repositoryJson(this.context);
    const sender = simpleUser(SIM_ACTOR);
    const payload =
      event === 'workflow_run'
        ? {
            action,
            workflow_run: this.runJson(run),
            workflow: workflowJson(this.context, run.workflow, run.payload.workflow_id),
            repository,
            sender,
          }
        : event === 'workflow_job' && job
          ? { action, workflow_job: this.jobJson(run, job), repository, sender }
          : {
              action,
              ...fields,
              repository,
              sender,
              installation: {
                id: this.options.app?.installationId ?? 1,
                node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==',
              },
            };
    recordGithubDelivery(event, action, payload);
    const body = JSON.stringify(payload);
    const signature = `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}`;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/sim',
          'x-github-event': event,
          'x-github-delivery': randomUUID(),
          'x-github-hook-id': '1',
          'x-hub-signature-256': signature,
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      this.deliveries.push({ event, action, status: res.status });
    } catch (error) {
      this.deliveries.push({ event, action, status: 0 });
      this.options.log?.(`github: webhook ${event}.${action} failed: ${(error as Error).message}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(new Error('stopped'));
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.stopped) reject(new Error('stopped'));
        else resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  // ---- lookups ----

  /**
   * A workflow's file as the contents API serves it: its `workflow_dispatch` inputs as the
   * stand-in runs them (required unless optional), base64 as GitHub sends file content.
   */
  private workflowFile(file: string): unknown {
    const workflow = this.workflows.find((w) => w.file === file);
    if (!workflow) throw new HttpError(404, 'Not Found');
    const inputs = workflow.inputs
      .map(
        (input) =>
          `      ${input}:\n        type: string\n        required: ${!workflow.optionalInputs?.includes(input)}\n`,
      )
      .join('');
    const text = `name: ${workflow.name}\non:\n  workflow_dispatch:\n    inputs:\n${inputs}jobs:\n${workflow.jobs
      .map(
        (j) =>
          `  ${j.name}:\n    runs-on: ubuntu-24.04\n    steps:\n${j.steps.map((st) => `      - name: ${st}\n        run: 'true'\n`).join('')}`,
      )
      .join('')}`;
    const path = `.github/workflows/${file}`;
    const api = `${this.baseUrl}/repos/${this.options.owner}/${this.options.repo}`;
    const html = `https://github.com/${this.options.owner}/${this.options.repo}/blob/main/${path}`;
    const sha = createHash('sha1').update(`blob ${text.length}\0${text}`).digest('hex');
    const git = `${api}/git/blobs/${sha}`;
    return {
      type: 'file',
      encoding: 'base64',
      size: Buffer.byteLength(text),
      name: file,
      path,
      content: Buffer.from(text).toString('base64'),
      sha,
      url: `${api}/contents/${path}?ref=main`,
      git_url: git,
      html_url: html,
      download_url: `https://raw.githubusercontent.com/${this.options.owner}/${this.options.repo}/main/${path}`,
      _links: { self: `${api}/contents/${path}?ref=main`, git, html },
    };
  }

  /** The repository's webhooks: the one the stand-in delivers to, if any (secrets hidden). */
  private hooks(): unknown[] {
    const hook = this.options.webhook;
    if (!hook) return [];
    const api = `${this.baseUrl}/repos/${this.options.owner}/${this.options.repo}/hooks/1`;
    return [
      {
        type: 'Repository',
        id: 1,
        name: 'web',
        active: true,
        events: this.options.webhookEvents ?? ['workflow_job', 'workflow_run'],
        config: {
          url: hook.url,
          content_type: 'json',
          insecure_ssl: '0',
          ...(hook.secret ? { secret: '********' } : {}),
        },
        updated_at: '2025-01-06T09:00:00Z',
        created_at: '2025-01-06T09:00:00Z',
        url: api,
        test_url: `${api}/test`,
        ping_url: `${api}/pings`,
        deliveries_url: `${api}/deliveries`,
        last_response: { code: 200, status: 'active', message: 'OK' },
      },
    ];
  }

  private workflow(idOrFile: string): SimWorkflow {
    const byIndex = /^\d+$/.test(idOrFile) ? this.workflows[Number(idOrFile) - 1] : undefined;
    const workflow = byIndex ?? this.workflows.find((w) => w.file === idOrFile);
    if (!workflow) throw new HttpError(404, 'Not Found');
    return workflow;
  }

  private simRun(id: string): SimRun {
    const run = this.runs.get(Number(id));
    if (!run) throw new HttpError(404, 'Not Found');
    return run;
  }

  /**
   * A job deploying to a protected environment waits (job and run `waiting`, a `workflow_job`
   * `waiting` delivery, and for a protection rule a `deployment_protection_rule` delivery) until
   * a required reviewer or the App answers; a cancel ends the wait.
   */
  private async passGate(
    run: SimRun,
    job: SimJobPayload,
    definition: SimWorkflow['jobs'][number],
  ): Promise<'approved' | 'rejected' | 'cancelled'> {
    const environment = definition.environment?.(run.inputs);
    const protection = environment ? this.environments[environment] : undefined;
    if (
      !environment ||
      !protection ||
      (!protection.reviewers?.length && !protection.protectionRule)
    )
      return 'approved';
    run.gates ??= [];
    let gate = run.gates.find((g) => g.environment === environment);
    if (!gate) {
      gate = { environment, state: 'waiting' };
      run.gates.push(gate);
      job.status = 'waiting';
      this.setRun(run, 'waiting', null);
      this.changed();
      await this.deliver('workflow_job', 'waiting', run, job);
      if (protection.protectionRule) await this.deliverProtectionRule(run, environment);
    }
    while (gate.state === 'waiting' && !run.cancelRequested) await this.sleep(20);
    if (run.cancelRequested) return 'cancelled';
    if (gate.state !== 'approved') return 'rejected';
    job.status = 'queued';
    this.setRun(run, 'in_progress', null);
    this.changed();
    return 'approved';
  }

  private async deliverProtectionRule(run: SimRun, environment: string): Promise<void> {
    const callback = `${this.baseUrl}/repos/${this.options.owner}/${this.options.repo}/actions/runs/${run.payload.id}/deployment_protection_rule`;
    await this.deliver('deployment_protection_rule', 'requested', run, undefined, {
      environment,
      event: 'workflow_dispatch',
      sha: run.payload.head_sha,
      ref: `refs/heads/${run.payload.head_branch ?? 'main'}`,
      deployment_callback_url: callback,
    });
  }

  /** `GET …/pending_deployments`: the environments a run waits on, and whether this token may approve. */
  private pendingDeployments(run: SimRun, token: string) {
    return (run.gates ?? [])
      .filter((g) => g.state === 'waiting' && this.environments[g.environment]?.reviewers?.length)
      .map((g) => {
        const reviewers = this.environments[g.environment]?.reviewers ?? [];
        return {
          environment: {
            id: environmentIdOf(g.environment),
            node_id: `EN_${environmentIdOf(g.environment)}`,
            name: g.environment,
            url: `${this.baseUrl}/repos/${this.options.owner}/${this.options.repo}/environments/${g.environment}`,
            html_url: `https://github.com/${this.options.owner}/${this.options.repo}/deployments/activity_log?environments_filter=${g.environment}`,
          },
          wait_timer: 0,
          wait_timer_started_at: null,
          current_user_can_approve: reviewers.some((r) => r.token === token),
          reviewers: reviewers.map((r) => ({ type: 'User', reviewer: simpleUser(r.login) })),
        };
      });
  }

  /** `POST …/pending_deployments`: a required reviewer approves or rejects environments of a run. */
  private reviewPending(run: SimRun, body: Record<string, unknown>, token: string): unknown {
    const ids = Array.isArray(body['environment_ids'])
      ? (body['environment_ids'] as unknown[])
      : [];
    const state = body['state'];
    if (
      !ids.length ||
      (state !== 'approved' && state !== 'rejected') ||
      typeof body['comment'] !== 'string'
    )
      throw new HttpError(
        422,
        'Invalid request.\n\nenvironment_ids, state and comment are required.',
      );
    const gates = (run.gates ?? []).filter(
      (g) => g.state === 'waiting' && ids.includes(environmentIdOf(g.environment)),
    );
    if (gates.length !== ids.length)
      throw new HttpError(
        422,
        'There are no pending deployment requests to approve or reject for the given environment ids.',
      );
    for (const gate of gates) {
      const reviewer = this.environments[gate.environment]?.reviewers?.find(
        (r) => r.token === token,
      );
      if (!reviewer)
        throw new HttpError(422, 'You are not a required reviewer for this environment.');
      gate.state = state;
      gate.by = reviewer.login;
      gate.comment = body['comment'] as string;
    }
    this.changed();
    // The deployments GitHub creates for the approved environments (`deployment` shape).
    const repo = `${this.baseUrl}/repos/${this.options.owner}/${this.options.repo}`;
    return gates.map((g) => {
      const id = environmentIdOf(g.environment) + (Number(run.payload.id) % 1000);
      return {
        id,
        node_id: `DE_${id}`,
        url: `${repo}/deployments/${id}`,
        sha: run.payload.head_sha,
        ref: run.payload.head_branch ?? run.payload.head_sha,
        task: 'deploy',
        payload: {},
        original_environment: g.environment,
        environment: g.environment,
        description: null,
        creator: simpleUser(SIM_ACTOR),
        created_at: stamp(),
        updated_at: stamp(),
        statuses_url: `${repo}/deployments/${id}/statuses`,
        repository_url: repo,
        transient_environment: false,
        production_environment: false,
      };
    });
  }

  /** `POST …/deployment_protection_rule`: the App answers its custom rule for an environment. */
  private reviewProtectionRule(run: SimRun, body: Record<string, unknown>): unknown {
    const environment = body['environment_name'];
    const state = body['state'];
    if (typeof environment !== 'string' || (state !== 'approved' && state !== 'rejected'))
      throw new HttpError(422, 'Invalid request.\n\nenvironment_name and state are required.');
    const gate = (run.gates ?? []).find(
      (g) => g.environment === environment && g.state === 'waiting',
    );
    if (!gate || !this.environments[environment]?.protectionRule)
      throw new HttpError(422, `No pending deployment protection rule for ${environment}.`);
    gate.state = state;
    gate.by = 'app';
    gate.comment = typeof body['comment'] === 'string' ? body['comment'] : '';
    this.changed();
    return { status: 204, body: undefined };
  }

  /**
   * Terraform's state, per environment, as a serial that each apply moves on: a plan records the
   * serial it saw; an apply of a plan whose serial is behind fails ("Saved plan is stale"), as
   * Terraform refuses it. False when the step fails.
   */
  private terraformStep(run: SimRun, step: string): boolean {
    if (run.workflow.file !== 'infra.yml') return true;
    const environment = run.inputs['environment'] ?? '';
    const serial = this.stateSerials.get(environment) ?? 0;
    if (step === 'Plan') run.planSerial = serial;
    if (step === 'Fetch the plan')
      return this.planRunOf(run)?.planSerial !== undefined && !this.artifactsExpired;
    if (step !== 'Apply') return true;
    if (this.planRunOf(run)?.planSerial !== serial) return false;
    this.stateSerials.set(environment, serial + 1);
    return true;
  }

  /**
   * A run's artifacts as GitHub lists them: the encrypted plan an infra plan kept, for 7 days
   * (or until `expireArtifacts`).
   */
  private artifactsOf(run: SimRun) {
    const kept = run.jobs.some((j) =>
      j.steps?.some((s) => s.name === 'Keep the plan' && s.conclusion === 'success'),
    );
    if (!kept) return [];
    const id = Number(run.payload.id) % 1_000_000_000;
    const created = run.payload.updated_at ?? stamp();
    const expiresAt = new Date(Date.parse(created) + 7 * 86_400_000).toISOString();
    const api = `${this.baseUrl}/repos/${this.options.owner}/${this.options.repo}/actions/artifacts/${id}`;
    return [
      {
        id,
        node_id: `MDg6QXJ0aWZhY3Q${id}`,
        name: `tfplan-${run.inputs['environment'] ?? ''}`,
        size_in_bytes: 48_213,
        url: api,
        archive_download_url: `${api}/zip`,
        expired: this.artifactsExpired || Date.parse(expiresAt) < Date.now(),
        digest: `sha256:${shaOf(`artifact:${id}`)}${shaOf(`artifact2:${id}`).slice(0, 24)}`,
        created_at: created,
        updated_at: created,
        expires_at: expiresAt.replace(/\.\d{3}Z$/, 'Z'),
        workflow_run: {
          id: Number(run.payload.id),
          repository_id: 1,
          head_repository_id: 1,
          head_branch: run.payload.head_branch,
          head_sha: run.payload.head_sha,
        },
      },
    ];
  }

  /** The run whose kept plan an infra apply applies: its `plan_run_id`, or itself. */
  private planRunOf(run: SimRun): SimRun | undefined {
    const id = run.inputs['plan_run_id'];
    return id ? this.runs.get(Number(id)) : run;
  }

  /**
   * A job's check-run annotations: `::notice title=AMI::ami-…` from the AMI workflow's "Print AMI
   * id" step, and the runner's failure annotation on a failed step. Null for an unknown job.
   */
  private annotationsOf(jobId: number) {
    const run = [...this.runs.values()].find((r) => r.jobs.some((j) => j.id === jobId));
    const job = run?.jobs.find((j) => j.id === jobId);
    if (!run || !job) return null;
    const annotation = (level: 'notice' | 'failure', title: string, message: string) => ({
      path: '.github',
      blob_href: `https://github.com/${this.options.owner}/${this.options.repo}/blob/${run.payload.head_sha}/.github`,
      start_line: 1,
      end_line: 1,
      start_column: null,
      end_column: null,
      annotation_level: level,
      title,
      message,
      raw_details: null,
    });
    const out = [];
    for (const step of job.steps ?? []) {
      if (step.name === 'Print AMI id' && step.conclusion === 'success')
        out.push(annotation('notice', 'AMI', amiIdOf(Number(run.payload.id))));
      if (
        step.name === 'Plan' &&
        step.conclusion === 'success' &&
        run.workflow.file === 'infra.yml'
      )
        out.push(annotation('notice', 'Plan', JSON.stringify(planSummaryOf(run.inputs))));
      if (step.conclusion === 'failure')
        out.push(annotation('failure', '', 'Process completed with exit code 1.'));
    }
    return out;
  }

  private blobSignature(jobId: string): string {
    return createHmac('sha256', this.options.token).update(`job-logs:${jobId}`).digest('hex');
  }

  /**
   * A job's log as GitHub serves it: a timestamp before every line, each step opened by
   * `##[group]Run …`, the failing step's output ending in `##[error]`, secrets shown as `***`,
   * then the runner's cleanup. Null for an unknown job.
   */
  private jobLog(jobId: number): string | null {
    const job = [...this.runs.values()].flatMap((r) => r.jobs).find((j) => j.id === jobId);
    if (!job) return null;
    const lines: string[] = [];
    const time = (job.started_at ?? stamp()).replace(/Z$/, '.0000000Z');
    const at = (line: string) => lines.push(`${time} ${line}`);
    for (const step of job.steps ?? []) {
      if (step.status === 'queued' || step.conclusion === 'skipped') continue;
      at(`##[group]Run ${step.name}`);
      at(`${step.name}: starting`);
      at('##[endgroup]');
      if (step.conclusion === 'failure') {
        for (let i = 1; i <= 30; i++) at(`${step.name}: output line ${i}`);
        at('Using token *** for the registry');
        at(`##[error]${step.name} failed: exit code 1`);
        at('##[error]Process completed with exit code 1.');
      } else at(`${step.name}: done`);
    }
    at('Post job cleanup.');
    at('Cleaning up orphan processes');
    return `${lines.join('\n')}\n`;
  }

  private resolveRef(ref: string): string | null {
    return this.graph.resolve(ref);
  }

  private tip(name: string): string {
    return this.graph.resolve(name) ?? shaOf(name);
  }

  /** A commit as GitHub's REST API shapes it (`commit` schema, without files). */
  private commitJson(c: SimCommit) {
    const base = `${this.baseUrl}/repos/${this.options.owner}/${this.options.repo}`;
    const html = `https://github.com/${this.options.owner}/${this.options.repo}`;
    const person = { name: c.author, email: `${c.author}@users.noreply.github.com`, date: c.date };
    const user = simpleUser(c.author);
    return {
      url: `${base}/commits/${c.sha}`,
      sha: c.sha,
      node_id: `C_${c.sha.slice(0, 20)}`,
      html_url: `${html}/commit/${c.sha}`,
      comments_url: `${base}/commits/${c.sha}/comments`,
      commit: {
        url: `${base}/git/commits/${c.sha}`,
        author: person,
        committer: person,
        message: c.message,
        comment_count: 0,
        tree: { sha: shaOf(`tree:${c.sha}`), url: `${base}/git/trees/${shaOf(`tree:${c.sha}`)}` },
        verification: {
          verified: false,
          reason: 'unsigned',
          payload: null,
          signature: null,
          verified_at: null,
        },
      },
      author: user,
      committer: user,
      parents: c.parent
        ? [
            {
              sha: c.parent,
              url: `${base}/commits/${c.parent}`,
              html_url: `${html}/commit/${c.parent}`,
            },
          ]
        : [],
    };
  }

  /** `GET /compare/{base}...{head}`: paged commits (oldest first, 250 by default, as GitHub). */
  private compareJson(
    baseName: string,
    headName: string,
    base: string,
    head: string,
    q: URLSearchParams,
  ) {
    const result = this.graph.compare(base, head);
    const perPage = Math.min(Number(q.get('per_page') ?? 250), 250);
    const page = Math.max(Number(q.get('page') ?? 1), 1);
    const api = `${this.baseUrl}/repos/${this.options.owner}/${this.options.repo}`;
    const html = `https://github.com/${this.options.owner}/${this.options.repo}`;
    const basehead = `${baseName}...${headName}`;
    return {
      url: `${api}/compare/${basehead}`,
      html_url: `${html}/compare/${basehead}`,
      permalink_url: `${html}/compare/${base.slice(0, 7)}...${head.slice(0, 7)}`,
      diff_url: `${html}/compare/${basehead}.diff`,
      patch_url: `${html}/compare/${basehead}.patch`,
      base_commit: this.commitJson(this.graph.get(base) as SimCommit),
      merge_base_commit: this.commitJson(result.mergeBase),
      status: result.status,
      ahead_by: result.aheadBy,
      behind_by: result.behindBy,
      total_commits: result.aheadBy,
      commits: result.commits
        .slice((page - 1) * perPage, page * perPage)
        .map((c) => this.commitJson(c)),
      files: [],
    };
  }

  // ---- control surface for other processes (the sandbox console) ----

  private control(method: string, path: string, raw: Buffer): { status: number; body: unknown } {
    const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    const fault = faultControl(this.faults, method, path, body);
    if (fault) return fault;
    if (method === 'POST' && path === '/_sim/github/fail-next') {
      this.failNext({
        ...(typeof body['job'] === 'string' ? { job: body['job'] } : {}),
        ...(typeof body['step'] === 'string' ? { step: body['step'] } : {}),
      });
      return { status: 200, body: { failNext: this.failNextRun } };
    }
    if (method === 'POST' && path === '/_sim/github/stall-next-dispatch') {
      const mode = body['mode'];
      if (mode !== 'before-run' && mode !== 'after-run')
        return { status: 400, body: { message: 'mode must be before-run or after-run' } };
      this.stallNextDispatch(mode);
      return { status: 200, body: { stallNextDispatch: mode } };
    }
    if (method === 'POST' && path === '/_sim/github/webhooks') {
      this.webhooksEnabled = body['enabled'] !== false;
      return { status: 200, body: { webhooksEnabled: this.webhooksEnabled } };
    }
    if (method === 'POST' && path === '/_sim/github/commits') {
      const branch = typeof body['branch'] === 'string' ? body['branch'] : 'main';
      const count = Number(body['count'] ?? 1);
      if (
        !/^[A-Za-z0-9._/-]{1,100}$/.test(branch) ||
        !Number.isInteger(count) ||
        count < 1 ||
        count > 500
      )
        return { status: 400, body: { message: 'branch must be a ref name and count 1 to 500' } };
      const made = this.pushCommits(
        branch,
        count,
        typeof body['message'] === 'string' ? body['message'].slice(0, 200) : undefined,
        typeof body['author'] === 'string' ? body['author'].slice(0, 39) : undefined,
      );
      return {
        status: 200,
        body: { branch, head: made[made.length - 1]?.sha, pushed: made.length },
      };
    }
    if (method === 'GET' && path === '/_sim/github/runs')
      return { status: 200, body: { runs: this.listRuns() } };
    return { status: 404, body: { message: `no control route ${method} ${path}` } };
  }
}

/** A GitHub environment's id, stable per name. */
export function environmentIdOf(name: string): number {
  return parseInt(shaOf(`environment:${name}`).slice(0, 8), 16);
}

/** What the stand-in's Terraform plans: a few changes, or everything gone for a destroy. */
export function planSummaryOf(inputs: Record<string, string>): {
  add: number;
  change: number;
  destroy: number;
  resources: string[];
} {
  const environment = inputs['environment'] ?? 'staging';
  if (inputs['action'] === 'destroy')
    return {
      add: 0,
      change: 0,
      destroy: 3,
      resources: [
        `delete module.${environment}.aws_autoscaling_group.hosts`,
        `delete module.${environment}.aws_launch_template.hosts`,
        `delete module.${environment}.aws_lb.api`,
      ],
    };
  return {
    add: 1,
    change: 1,
    destroy: 1,
    resources: [
      `create module.${environment}.aws_cloudwatch_metric_alarm.api_5xx`,
      `update module.${environment}.aws_launch_template.hosts`,
      `delete/create module.${environment}.aws_lb_target_group.api`,
    ],
  };
}

/** The AMI a successful run of the AMI workflow built (what its notice annotation says). */
export function amiIdOf(runId: number): string {
  return `ami-${shaOf(`ami:${runId}`).slice(0, 17)}`;
}

function stamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
