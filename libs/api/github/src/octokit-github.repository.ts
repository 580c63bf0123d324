import { createAppAuth } from '@octokit/auth-app';
import type { components } from '@octokit/openapi-types';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { parse } from 'yaml';
import {
  DispatchedRun,
  DispatchRequest,
  GitRefChoice,
  GithubError,
  GithubRepository,
  JobAnnotation,
  PendingDeployment,
  RunArtifact,
  WebhookSetup,
  WorkflowJobSummary,
  WorkflowSetup,
  GithubSetupReader,
  WorkflowRunSummary,
} from './github.repository';
import { runNameMentions } from './run-name';
import type { CommitSummary, DeploymentChange } from '@chatops/domain';
import { jobProgressOf } from './webhook-events';

type Run = components['schemas']['workflow-run'];
type Job = components['schemas']['job'];
type DispatchResponse = components['schemas']['workflow-dispatch-response'];
type Commit = components['schemas']['commit'];

export type GithubAuth =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: string; privateKey: string; installationId: number };

export interface OctokitGithubOptions {
  owner: string;
  repo: string;
  auth: GithubAuth;
  /** REST base URL: https://api.github.com, GHES's https://host/api/v3, or a stand-in. */
  baseUrl?: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Retries of idempotent requests on 5xx and network errors (default 3). */
  retries?: number;
  /** Minimum time between mutating requests, as GitHub asks (default 1000 ms). */
  writeIntervalMs?: number;
  /** Finding a run by its run-name after a dispatch GitHub did not answer with one. */
  correlation?: { attempts: number; intervalMs: number };
  /** A dispatch gives up finding its run this long after it began (default 120 s). */
  dispatchDeadlineMs?: number;
  branchesLimit?: number;
  log?: { warn(obj: object, msg: string): void };
}

const ThrottledOctokit = Octokit.plugin(throttling, retry);
type Client = InstanceType<typeof ThrottledOctokit>;

const RECENT_COMMITS = 10;

const ignore = (): void => undefined;

/** GitHub over Octokit, with throttling and retries; the only place a GitHub client is built. */
export class OctokitGithubRepository implements GithubRepository, GithubSetupReader {
  private readonly octokit: Client;
  private readonly repoParams: { owner: string; repo: string };
  private readonly correlation: { attempts: number; intervalMs: number };
  readonly dispatchDeadlineMs: number;

  constructor(private readonly options: OctokitGithubOptions) {
    this.repoParams = { owner: options.owner, repo: options.repo };
    this.correlation = options.correlation ?? { attempts: 30, intervalMs: 1000 };
    this.dispatchDeadlineMs = options.dispatchDeadlineMs ?? 120_000;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const maxRetries = options.retries ?? 3;
    const log = options.log;
    this.octokit = new ThrottledOctokit({
      baseUrl: options.baseUrl ?? 'https://api.github.com',
      userAgent: 'chatops-platform',
      ...(options.auth.kind === 'token'
        ? { auth: options.auth.token }
        : {
            authStrategy: createAppAuth,
            auth: {
              appId: options.auth.appId,
              privateKey: options.auth.privateKey,
              installationId: options.auth.installationId,
            },
          }),
      request: {
        fetch: (url: string, init: RequestInit) =>
          fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) }),
      },
      // Octokit's own console logging is replaced: errors surface as GithubError, limits via `log`.
      log: { debug: ignore, info: ignore, warn: ignore, error: ignore },
      retry: { retries: maxRetries, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
      throttle: {
        id: `${options.owner}/${options.repo}`,
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.writeIntervalMs ?? 1000 }),
        onRateLimit: (
          retryAfter: number,
          request: { method: string; url: string },
          _o: unknown,
          retryCount: number,
        ) => {
          log?.warn({ retryAfter, route: `${request.method} ${request.url}` }, 'GitHub rate limit');
          return retryCount < 2;
        },
        onSecondaryRateLimit: (
          retryAfter: number,
          request: { method: string; url: string },
          _o: unknown,
          retryCount: number,
        ) => {
          log?.warn(
            { retryAfter, route: `${request.method} ${request.url}` },
            'GitHub secondary rate limit',
          );
          return retryCount < 1;
        },
      },
    });
  }

  async listRefs(): Promise<GitRefChoice[]> {
    const perPage = this.options.branchesLimit ?? 100;
    const [branches, tags, commits] = await this.call('list refs', () =>
      Promise.all([
        this.octokit.rest.repos.listBranches({ ...this.repoParams, per_page: perPage }),
        this.octokit.rest.repos.listTags({ ...this.repoParams, per_page: perPage }),
        this.octokit.rest.repos.listCommits({ ...this.repoParams, per_page: RECENT_COMMITS }),
      ]),
    );
    return [
      ...branches.data.map((b): GitRefChoice => ({ name: b.name, kind: 'branch' })),
      ...tags.data.map((t): GitRefChoice => ({ name: t.name, kind: 'tag' })),
      ...commits.data.map(
        (c): GitRefChoice => ({
          name: c.sha,
          kind: 'commit',
          description: (c.commit.message.split('\n')[0] ?? '').slice(0, 60),
        }),
      ),
    ];
  }

  async refExists(ref: string): Promise<boolean> {
    try {
      await this.octokit.rest.repos.getCommit({
        ...this.repoParams,
        ref,
        mediaType: { format: 'sha' },
      });
      return true;
    } catch (error) {
      const status = (error as { status?: number }).status;
      // 404: no such ref; 422: "No commit found for SHA".
      if (status === 404 || status === 422) return false;
      throw toGithubError(error, 'check the ref');
    }
  }

  async getCommit(ref: string): Promise<CommitSummary | null> {
    try {
      const { data } = await this.octokit.rest.repos.getCommit({ ...this.repoParams, ref });
      return commitSummaryOf(data);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 422) return null;
      throw toGithubError(error, 'read the commit');
    }
  }

  async compareCommits(
    base: string,
    head: string,
    limit: number,
  ): Promise<DeploymentChange['compare']> {
    const basehead = `${base}...${head}`;
    const perPage = 100;
    try {
      const first = await this.octokit.rest.repos.compareCommitsWithBasehead({
        ...this.repoParams,
        basehead,
        per_page: perPage,
      });
      let commits = first.data.commits;
      // The commits come oldest first, a page at a time: the newest are on the last page.
      const pages = Math.ceil(first.data.total_commits / perPage);
      if (pages > 1 && commits.length < first.data.total_commits) {
        const last = await this.octokit.rest.repos.compareCommitsWithBasehead({
          ...this.repoParams,
          basehead,
          per_page: perPage,
          page: pages,
        });
        commits = [...commits, ...last.data.commits];
      }
      return {
        status: first.data.status,
        aheadBy: first.data.ahead_by,
        behindBy: first.data.behind_by,
        commits: commits.slice(-limit).reverse().map(commitSummaryOf),
        url: first.data.html_url ?? null,
      };
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 422) return null;
      throw toGithubError(error, 'compare the commits');
    }
  }

  async failedJobLogTail(jobId: string, lines: number): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.actions.downloadJobLogsForWorkflowRun({
        ...this.repoParams,
        job_id: Number(jobId),
      });
      return logTail(typeof data === 'string' ? data : String(data), lines);
    } catch (error) {
      const status = (error as { status?: number }).status;
      // Logs expire (90 days by default) or were deleted.
      if (status === 404 || status === 410) return null;
      throw toGithubError(error, 'read the job log');
    }
  }

  async pendingDeployments(runId: string): Promise<PendingDeployment[]> {
    const { data } = await this.call('read the pending deployments', () =>
      this.octokit.rest.actions.getPendingDeploymentsForRun({
        ...this.repoParams,
        run_id: Number(runId),
      }),
    );
    return data.map((p) => ({
      environmentId: p.environment.id ?? 0,
      environment: p.environment.name ?? '',
      canApprove: p.current_user_can_approve,
    }));
  }

  async approvePendingDeployments(
    runId: string,
    environmentIds: number[],
    comment: string,
  ): Promise<void> {
    await this.call('approve the pending deployment', () =>
      this.octokit.rest.actions.reviewPendingDeploymentsForRun({
        ...this.repoParams,
        run_id: Number(runId),
        environment_ids: environmentIds,
        state: 'approved',
        comment,
      }),
    );
  }

  async reviewProtectionRule(
    runId: string,
    environment: string,
    state: 'approved' | 'rejected',
    comment: string,
  ): Promise<void> {
    await this.call('answer the deployment protection rule', () =>
      this.octokit.rest.actions.reviewCustomGatesForRun({
        ...this.repoParams,
        run_id: Number(runId),
        environment_name: environment,
        state,
        comment,
      }),
    );
  }

  async listRunArtifacts(runId: string): Promise<RunArtifact[]> {
    const { data } = await this.call('list the run artifacts', () =>
      this.octokit.rest.actions.listWorkflowRunArtifacts({
        ...this.repoParams,
        run_id: Number(runId),
        per_page: 100,
      }),
    );
    return data.artifacts.map((a) => ({
      name: a.name,
      expired: a.expired,
      expiresAt: a.expires_at ?? null,
    }));
  }

  async jobAnnotations(jobId: string): Promise<JobAnnotation[]> {
    // A job is a check run: its annotations carry what the workflow announced.
    const { data } = await this.call('read the job annotations', () =>
      this.octokit.rest.checks.listAnnotations({
        ...this.repoParams,
        check_run_id: Number(jobId),
        per_page: 50,
      }),
    );
    return data.map((a) => ({
      level: a.annotation_level ?? 'notice',
      title: a.title ?? null,
      message: a.message ?? '',
    }));
  }

  async dispatchWorkflow(request: DispatchRequest): Promise<DispatchedRun> {
    const startedAt = Date.now();
    const route = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
    const base = {
      ...this.repoParams,
      workflow_id: request.workflow,
      ref: request.ref,
      inputs: request.inputs,
      // A dispatch is not idempotent: retrying after a 5xx could start a second run.
      request: { retries: 0 },
    };
    try {
      const response = await this.octokit.request(route, { ...base, return_run_details: true });
      const details = response.data as DispatchResponse | undefined;
      if (response.status === 200 && details?.workflow_run_id) {
        return {
          runId: String(details.workflow_run_id),
          runUrl: details.html_url,
          correlatedBy: 'run-details',
        };
      }
      // 204: a server that ignores return_run_details. The run exists; find it.
    } catch (error) {
      if (!rejectsRunDetails(error)) throw toGithubError(error, 'dispatch the workflow');
      // Older GitHub Enterprise Server: dispatch again without the parameter, then find the run.
      try {
        await this.octokit.request(route, base);
      } catch (retryError) {
        throw toGithubError(retryError, 'dispatch the workflow');
      }
    }
    return this.findRun(request, startedAt);
  }

  async getRun(runId: string): Promise<WorkflowRunSummary> {
    const { data } = await this.call('read the run', () =>
      this.octokit.rest.actions.getWorkflowRun({ ...this.repoParams, run_id: Number(runId) }),
    );
    return toRun(data);
  }

  async listJobs(runId: string): Promise<WorkflowJobSummary[]> {
    const { data } = await this.call('read the run’s jobs', () =>
      this.octokit.rest.actions.listJobsForWorkflowRun({
        ...this.repoParams,
        run_id: Number(runId),
        filter: 'latest',
        per_page: 100,
      }),
    );
    return data.jobs.map(toJob);
  }

  async cancelRun(runId: string): Promise<void> {
    await this.call('cancel the run', () =>
      this.octokit.rest.actions.cancelWorkflowRun({ ...this.repoParams, run_id: Number(runId) }),
    );
  }

  async findRunByRequestId(
    workflow: string,
    requestId: string,
    sinceMs: number,
  ): Promise<WorkflowRunSummary | null> {
    // GitHub's `created` filter has second precision and clocks differ: look a minute back.
    const since = new Date(sinceMs - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const { data } = await this.call('find the dispatched run', () =>
      this.octokit.rest.actions.listWorkflowRuns({
        ...this.repoParams,
        workflow_id: workflow,
        event: 'workflow_dispatch',
        created: `>=${since}`,
        per_page: 50,
      }),
    );
    const run = data.workflow_runs.find((r) => runNameMentions(r.display_title, requestId));
    return run ? toRun(run) : null;
  }

  private async findRun(request: DispatchRequest, startedAt: number): Promise<DispatchedRun> {
    const deadline = startedAt + this.dispatchDeadlineMs;
    for (let attempt = 0; attempt < this.correlation.attempts; attempt++) {
      if (Date.now() >= deadline) break;
      const run = await this.findRunByRequestId(request.workflow, request.requestId, startedAt);
      if (run) return { runId: run.id, runUrl: run.htmlUrl, correlatedBy: 'run-name' };
      await new Promise((resolve) => setTimeout(resolve, this.correlation.intervalMs));
    }
    throw new GithubError(
      'not-correlated',
      `the workflow was dispatched but no run named with request ${request.requestId} appeared within ${Math.round(Math.min(this.correlation.attempts * this.correlation.intervalMs, this.dispatchDeadlineMs) / 1000)} s`,
    );
  }

  async repositoryName(): Promise<string> {
    const { data } = await this.call('read the repository', () =>
      this.octokit.rest.repos.get(this.repoParams),
    );
    return data.full_name;
  }

  async workflowSetup(file: string): Promise<WorkflowSetup | null> {
    let workflow;
    try {
      ({ data: workflow } = await this.octokit.rest.actions.getWorkflow({
        ...this.repoParams,
        workflow_id: file,
      }));
    } catch (error) {
      if ((error as { status?: number }).status === 404) return null;
      throw toGithubError(error, `read the workflow ${file}`);
    }
    // The inputs are in the file itself, on the default branch (where GitHub reads them too).
    const { data: content } = await this.call(`read ${workflow.path}`, () =>
      this.octokit.rest.repos.getContent({ ...this.repoParams, path: workflow.path }),
    );
    const text =
      !Array.isArray(content) && content.type === 'file' && 'content' in content
        ? Buffer.from(content.content, 'base64').toString('utf8')
        : '';
    return { path: workflow.path, state: workflow.state, dispatchInputs: dispatchInputsOf(text) };
  }

  async webhooks(): Promise<WebhookSetup[]> {
    if (this.options.auth.kind === 'app') {
      // An App's events go to the App's own webhook (its settings), not to a repository hook.
      const [app, hook] = await this.call("read the GitHub App's webhook", () =>
        Promise.all([
          this.octokit.rest.apps.getAuthenticated(),
          this.octokit.rest.apps.getWebhookConfigForApp(),
        ]),
      );
      return [
        {
          source: 'app',
          url: hook.data.url ?? '',
          events: app.data?.events ?? [],
          active: true,
          hasSecret: Boolean(hook.data.secret),
          contentType: hook.data.content_type ?? null,
        },
      ];
    }
    const { data } = await this.call("read the repository's webhooks", () =>
      this.octokit.rest.repos.listWebhooks({ ...this.repoParams, per_page: 100 }),
    );
    return data.map((hook) => ({
      source: 'repository',
      url: hook.config.url ?? '',
      events: hook.events,
      active: hook.active,
      hasSecret: Boolean(hook.config.secret),
      contentType: hook.config.content_type ?? null,
    }));
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toGithubError(error, what);
    }
  }
}

function rejectsRunDetails(error: unknown): boolean {
  const { status, message } = error as { status?: number; message?: string };
  return (status === 422 || status === 400) && /return_run_details/i.test(message ?? '');
}

/** Octokit's errors as GithubError, with a message fit for a user (no URLs with tokens, no bodies). */
export function toGithubError(error: unknown, action: string): GithubError {
  if (error instanceof GithubError) return error;
  const { status, message, response, cause } = error as {
    status?: number;
    message?: string;
    response?: { headers?: Record<string, string> };
    cause?: { name?: string; message?: string };
  };
  if (!response) {
    const timedOut = cause?.name === 'TimeoutError' || /timeout|aborted/i.test(message ?? '');
    return timedOut
      ? new GithubError('timeout', `GitHub did not answer in time when trying to ${action}`)
      : new GithubError(
          'unreachable',
          `GitHub could not be reached to ${action} (${cause?.message ?? message ?? 'network error'})`,
        );
  }
  const said = (message ?? '').split('\n')[0]?.slice(0, 200) ?? '';
  const code = status ?? 0;
  if (code === 401)
    return new GithubError(
      'unauthorized',
      `GitHub rejected our credentials (401) when trying to ${action}`,
      code,
    );
  if (code === 403 || code === 429) {
    const limited =
      code === 429 ||
      response.headers?.['x-ratelimit-remaining'] === '0' ||
      /rate limit/i.test(said);
    return limited
      ? new GithubError(
          'rate-limited',
          `GitHub's rate limit was reached when trying to ${action}; try again shortly`,
          code,
        )
      : new GithubError('forbidden', `GitHub refused to ${action} (403: ${said})`, code);
  }
  if (code === 404)
    return new GithubError('not-found', `GitHub found nothing to ${action} (404: ${said})`, code);
  if (code === 422 || code === 400)
    return new GithubError('invalid', `GitHub refused to ${action} (${code}: ${said})`, code);
  return new GithubError(
    'server',
    `GitHub failed when trying to ${action} (${code}${said ? `: ${said}` : ''})`,
    code,
  );
}

/**
 * The last `count` lines of a job log up to its last `##[error]` (what follows is the runner's
 * cleanup), without timestamps, colour codes or group markers.
 */
export function logTail(log: string, count: number): string {
  const lines = log
    .replace(/\r\n?/g, '\n')
    .split('\n')
    // eslint-disable-next-line no-control-regex -- ANSI colour sequences are what it drops
    .map((line) => line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z ?/, '').replace(/\u001b\[[0-9;]*m/g, ''))
    .filter((line) => !/^##\[(end)?group\]$/.test(line.trim()));
  let end = lines.length;
  for (let i = lines.length - 1; i >= 0; i--)
    if (lines[i]?.startsWith('##[error]')) {
      end = i + 1;
      break;
    }
  while (end > 0 && !lines[end - 1]?.trim()) end--;
  return lines.slice(Math.max(0, end - count), end).join('\n');
}

function commitSummaryOf(commit: Commit): CommitSummary {
  return {
    sha: commit.sha,
    url: commit.html_url ?? null,
    author: commit.author?.login ?? commit.commit.author?.name ?? null,
    title: (commit.commit.message.split('\n')[0] ?? '').slice(0, 200),
    committedAt: timeOf(commit.commit.committer?.date ?? commit.commit.author?.date),
  };
}

/** A GitHub timestamp as ms; null when absent or not a date. */
function timeOf(date: string | undefined): number | null {
  const at = date ? Date.parse(date) : NaN;
  return Number.isFinite(at) ? at : null;
}

function toRun(run: Run): WorkflowRunSummary {
  return {
    id: String(run.id),
    status: run.status ?? null,
    conclusion: run.conclusion ?? null,
    htmlUrl: run.html_url,
    displayTitle: run.display_title ?? null,
    headSha: run.head_sha ?? null,
  };
}

function toJob(job: Job): WorkflowJobSummary {
  // The REST job and the webhook's workflow_job carry the same fields.
  return jobProgressOf({ ...job, steps: job.steps ?? [] });
}

/** The `workflow_dispatch` inputs a workflow file declares (null: none, or not YAML). */
export function dispatchInputsOf(text: string): string[] | null {
  let document: unknown;
  try {
    document = parse(text);
  } catch {
    return null;
  }
  // YAML 1.1 readers see `on` as true; GitHub's is 1.2, as is this one's.
  const on = (document as { on?: unknown } | null)?.on;
  if (on === 'workflow_dispatch') return [];
  if (Array.isArray(on)) return on.includes('workflow_dispatch') ? [] : null;
  if (!on || typeof on !== 'object' || !('workflow_dispatch' in on)) return null;
  const dispatch = (on as { workflow_dispatch?: { inputs?: unknown } | null }).workflow_dispatch;
  const inputs = dispatch?.inputs;
  return inputs && typeof inputs === 'object' ? Object.keys(inputs).sort() : [];
}
