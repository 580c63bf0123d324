import type { CommitSummary, DeploymentChange, JobProgress } from '@chatops/domain';

/**
 * GitHub as the deployment services see it. One implementation talks to GitHub with Octokit
 * (OctokitGithubRepository); tests point that same implementation at the GitHub stand-in.
 */
export interface GithubRepository {
  /** Branches, tags and recent commits, newest commits first (unfiltered; callers cache). */
  listRefs(): Promise<GitRefChoice[]>;
  /** Whether a branch, tag or commit SHA resolves to a commit in the repository. */
  refExists(ref: string): Promise<boolean>;
  /** Starts the workflow and says which run it started. */
  dispatchWorkflow(request: DispatchRequest): Promise<DispatchedRun>;
  /**
   * The longest a `dispatchWorkflow` call can take, finding its run included: after this, a
   * dispatch that recorded no run is known to have ended (or its process to have died).
   */
  readonly dispatchDeadlineMs: number;
  /**
   * The run of a workflow whose run-name carries this request id, among those created since
   * `sinceMs` (one listing; null when there is none yet).
   */
  findRunByRequestId(
    workflow: string,
    requestId: string,
    sinceMs: number,
  ): Promise<WorkflowRunSummary | null>;
  /** A commit named by SHA, branch or tag (null: the repository has none by that name). */
  getCommit(ref: string): Promise<CommitSummary | null>;
  /**
   * GitHub's compare from `base` to `head` (both SHAs, branches or tags), with at most `limit`
   * of its commits, newest first; null when either does not exist.
   */
  compareCommits(base: string, head: string, limit: number): Promise<DeploymentChange['compare']>;
  /**
   * The end of a failed job's log: up to `lines` lines ending at its last error, timestamps and
   * colour codes removed, GitHub's masking (`***`) kept. Null when the log is gone.
   */
  failedJobLogTail(jobId: string, lines: number): Promise<string | null>;
  /** The protected environments a run waits on, and whether these credentials may approve. */
  pendingDeployments(runId: string): Promise<PendingDeployment[]>;
  /** Approves environments a run waits on, as a required reviewer (a user's token). */
  approvePendingDeployments(
    runId: string,
    environmentIds: number[],
    comment: string,
  ): Promise<void>;
  /** Answers the App's custom deployment protection rule for an environment of a run. */
  reviewProtectionRule(
    runId: string,
    environment: string,
    state: 'approved' | 'rejected',
    comment: string,
  ): Promise<void>;
  /** A run's artifacts (name, and whether GitHub has expired it). */
  listRunArtifacts(runId: string): Promise<RunArtifact[]>;
  /** A job's annotations (`::notice title=…::…` and the runner's own), in order. */
  jobAnnotations(jobId: string): Promise<JobAnnotation[]>;
  getRun(runId: string): Promise<WorkflowRunSummary>;
  listJobs(runId: string): Promise<WorkflowJobSummary[]>;
  cancelRun(runId: string): Promise<void>;
}

export interface PendingDeployment {
  environmentId: number;
  environment: string;
  canApprove: boolean;
}

export interface RunArtifact {
  name: string;
  expired: boolean;
  expiresAt: string | null;
}

export interface JobAnnotation {
  level: string;
  title: string | null;
  message: string;
}

export interface GitRefChoice {
  name: string;
  kind: 'branch' | 'tag' | 'commit';
  /** A commit's first message line, shortened. */
  description?: string;
}

export interface DispatchRequest {
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  /** Unique per request and part of the workflow's `run-name`, to find the run when GitHub does not say. */
  requestId: string;
}

export interface DispatchedRun {
  runId: string;
  runUrl: string;
  /** How the run was identified: GitHub said so (`return_run_details`) or found by its run-name. */
  correlatedBy: 'run-details' | 'run-name';
}

export interface WorkflowRunSummary {
  id: string;
  status: string | null;
  conclusion: string | null;
  htmlUrl: string;
  displayTitle: string | null;
  /** The commit the run built. */
  headSha: string | null;
}

/** Jobs and steps are read into the domain's progress shape directly. */
export type WorkflowJobSummary = JobProgress;

export type GithubErrorKind =
  | 'not-found'
  | 'unauthorized'
  | 'forbidden'
  | 'invalid'
  | 'rate-limited'
  | 'server'
  | 'unreachable'
  | 'timeout'
  | 'not-correlated';

/** GitHub refused or failed; `message` is safe to show a user (no tokens, no bodies). */
export class GithubError extends Error {
  constructor(
    readonly kind: GithubErrorKind,
    message: string,
    /** HTTP status, 0 when GitHub was not reached. */
    readonly status = 0,
  ) {
    super(message);
    this.name = 'GithubError';
  }
}

/** A workflow file as GitHub knows it: whether it is active, and what its dispatch takes. */
export interface WorkflowSetup {
  path: string;
  /** `active`, `disabled_manually`, … as GitHub says. */
  state: string;
  /** The `workflow_dispatch` inputs the file declares; null: it cannot be dispatched. */
  dispatchInputs: string[] | null;
}

/** Where GitHub sends the run events the API follows: a repository hook, or the App's. */
export interface WebhookSetup {
  source: 'repository' | 'app';
  url: string;
  events: string[];
  active: boolean;
  /** GitHub never shows a secret, only whether one is set. */
  hasSecret: boolean;
  contentType: string | null;
}

/**
 * Read-only questions `npm run doctor` asks of GitHub (the deploy paths never ask them): with
 * the credentials the API uses, and nothing they could change.
 */
export interface GithubSetupReader {
  /** The repository's full name; throws (401, 404) when the credentials cannot see it. */
  repositoryName(): Promise<string>;
  /** Null when the repository has no such workflow. */
  workflowSetup(file: string): Promise<WorkflowSetup | null>;
  webhooks(): Promise<WebhookSetup[]>;
}
