import { isFleetKind, type DeploymentStatus } from '@chatops/domain';
import type { GithubRepository } from '@chatops/github';
import type { Deployment, Repositories } from '@chatops/persistence';
import { ClaimedPoller } from './claimed-poller';
import { SYSTEM_ACTOR } from './deployment-auditor';
import type { DeploymentTracker } from './deployment-tracker';

export interface DispatchReconcilerOptions {
  /** How often a queued deployment without a run is looked up on GitHub (default 5 s). */
  intervalMs?: number;
  /**
   * How long after it was queued a deployment is first looked up: a dispatch in progress
   * normally records its run well within this (default 15 s).
   */
  graceMs?: number;
  /**
   * When a deployment that is still queued without a run is given up: no process can still be
   * dispatching it (GitHub's dispatch deadline), plus GitHub's delay in listing a new run.
   */
  giveUpMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

/** GitHub lists a new run within seconds; this is the margin on top of the dispatch deadline. */
export const RUN_LISTING_DELAY_MS = 60_000;

/**
 * What a crash between taking the lease and recording the run leaves: a workflow deployment
 * `queued` with no run. Each one is looked up on GitHub by the request id in its run-name
 * (claimed in the database, so replicas share the work): a run found is linked and tracked from
 * there; none after `giveUpMs` means nothing was started, so the deployment ends as failed,
 * saying so, and its lease is released. It never dispatches: a second run is worse than none.
 */
export class DispatchReconciler extends ClaimedPoller {
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private readonly giveUpMs: number;

  constructor(
    repositories: Pick<Repositories, 'deployments'>,
    private readonly github: GithubRepository,
    private readonly tracker: DeploymentTracker,
    private readonly options: DispatchReconcilerOptions = {},
  ) {
    const intervalMs = options.intervalMs ?? 5000;
    super(repositories, Math.min(intervalMs, 1000));
    this.intervalMs = intervalMs;
    this.graceMs = options.graceMs ?? 15_000;
    this.giveUpMs = options.giveUpMs ?? github.dispatchDeadlineMs + RUN_LISTING_DELAY_MS;
  }

  protected override readonly claimable: readonly DeploymentStatus[] = ['queued'];

  protected override follows(deployment: Deployment): boolean {
    return deployment.status === 'queued' && !deployment.runId && !isFleetKind(deployment.kind);
  }

  protected due(deployment: Deployment, now: number): boolean {
    return now - deployment.updatedAt >= this.graceMs;
  }

  protected spacing(): number {
    return this.intervalMs;
  }

  protected failed(deployment: Deployment, error: unknown): void {
    this.options.log?.warn(
      { err: error, deploymentId: deployment.id },
      'looking for the run of a queued deployment failed; next tick retries',
    );
  }

  protected async look(deployment: Deployment, now: number): Promise<void> {
    if (!deployment.workflow) return;
    const run = await this.github.findRunByRequestId(
      deployment.workflow,
      deployment.requestId,
      deployment.createdAt,
    );
    if (run) {
      await this.tracker.applyRunSnapshot(run);
      return;
    }
    if (now - deployment.updatedAt < this.giveUpMs) return;
    await this.tracker.applyOutcome(
      deployment,
      'failed',
      `never dispatched: no GitHub run named with request ${deployment.requestId} ${Math.round(this.giveUpMs / 1000)} s after it was queued (the API stopped before dispatching it); nothing was started`,
      SYSTEM_ACTOR,
    );
  }
}
