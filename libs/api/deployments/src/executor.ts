import { isCommitSha } from '@chatops/domain';
import type { GithubRepository } from '@chatops/github';
import type { Deployment } from '@chatops/persistence';
import type { RunSnapshot } from './deployment-tracker';
import { DEFAULT_BRANCH } from './deployment-request';

/** A run an executor started (a GitHub workflow run, an SSM command). */
export interface RunHandle {
  runId: string;
  runUrl: string;
  /** How the run was identified, when the executor had to look for it. */
  correlatedBy?: string;
  /** The run as found, when looking for it read its state too (GitHub). */
  snapshot?: RunSnapshot;
}

/**
 * Who carries a deployment out: GitHub Actions for workflow kinds, SSM on the hosts for
 * redeploys and rollbacks. The deploy core starts, cancels and recovers runs through this port
 * alone, whichever it is.
 */
export interface DeploymentExecutor {
  /** Starts what the deployment planned (its stored inputs). */
  start(deployment: Deployment): Promise<RunHandle>;
  cancel(runId: string): Promise<void>;
  /**
   * The run a dispatch started but did not live to record, found by the marker it carries
   * (the request id in a run-name, the deployment id in a command's comment); null: none yet.
   */
  findStarted(deployment: Deployment): Promise<RunHandle | null>;
  /**
   * How long after a deployment was queued no run found means none was started: no process
   * can still be starting one, and a run started would be listed by now.
   */
  readonly giveUpMs: number;
  /**
   * Undoes what a start did before it died without a run (SSM: the desired version it wrote);
   * says what it did, for the deployment's end, or null when there was nothing to undo.
   */
  abandon(deployment: Deployment): Promise<string | null>;
}

/** GitHub lists a new run within seconds; this is the margin on top of the dispatch deadline. */
export const RUN_LISTING_DELAY_MS = 60_000;

/** Workflow kinds: a `workflow_dispatch` with the planned inputs; the run named by the request id. */
export class GithubWorkflowExecutor implements DeploymentExecutor {
  readonly giveUpMs: number;

  constructor(
    private readonly github: GithubRepository,
    options: { runListingDelayMs?: number } = {},
  ) {
    this.giveUpMs = github.dispatchDeadlineMs + (options.runListingDelayMs ?? RUN_LISTING_DELAY_MS);
  }

  start(deployment: Deployment): Promise<RunHandle> {
    if (!deployment.workflow || !deployment.inputs)
      throw new Error(`deployment ${deployment.id} has no stored plan to dispatch`);
    return this.github.dispatchWorkflow({
      workflow: deployment.workflow,
      // GitHub runs a workflow from a branch or tag: a commit is built by the default branch's
      // workflow, which checks out the commit its `ref` input names.
      ref: isCommitSha(deployment.ref) ? DEFAULT_BRANCH : deployment.ref,
      inputs: deployment.inputs,
      requestId: deployment.requestId,
    });
  }

  cancel(runId: string): Promise<void> {
    return this.github.cancelRun(runId);
  }

  /** A dispatch that started no run changed nothing. */
  async abandon(): Promise<string | null> {
    return null;
  }

  async findStarted(deployment: Deployment): Promise<RunHandle | null> {
    if (!deployment.workflow) return null;
    const run = await this.github.findRunByRequestId(
      deployment.workflow,
      deployment.requestId,
      deployment.createdAt,
    );
    return run
      ? { runId: run.id, runUrl: run.htmlUrl, correlatedBy: 'run-name', snapshot: run }
      : null;
  }
}
