import { isFleetKind, type DeploymentStatus } from '@chatops/domain';
import type { Deployment, Repositories } from '@chatops/persistence';
import { StaleDeploymentError } from '@chatops/persistence';
import { ClaimedPoller } from './claimed-poller';
import { SYSTEM_ACTOR } from './deployment-auditor';
import type { DeploymentTracker } from './deployment-tracker';
import type { DeploymentExecutor } from './executor';

export interface DispatchReconcilerOptions {
  /** How often a queued deployment without a run is looked up (default 5 s). */
  intervalMs?: number;
  /**
   * How long after it was queued a deployment is first looked up: a dispatch in progress
   * normally records its run well within this (default 15 s).
   */
  graceMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

/** The executors a crash may have left a run with: GitHub for workflows, SSM for the fleet. */
export interface ReconciledExecutors {
  workflows: DeploymentExecutor | null;
  fleet: DeploymentExecutor | null;
}

/**
 * What a crash between taking the lease and recording the run leaves: a deployment `queued`
 * with no run. Each one is looked up by its executor (claimed in the database, so replicas
 * share the work) by the marker its run carries: the request id in a GitHub run-name, the
 * deployment id in an SSM command's comment. A run found is linked and followed from there;
 * none after the executor's `giveUpMs` means nothing was started, so the deployment ends as
 * failed, saying so, and its lease is released. It never dispatches: a second run is worse than
 * none.
 */
export class DispatchReconciler extends ClaimedPoller {
  private readonly intervalMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly repos: Pick<Repositories, 'deployments'>,
    private readonly executors: ReconciledExecutors,
    private readonly tracker: DeploymentTracker,
    private readonly options: DispatchReconcilerOptions = {},
  ) {
    const intervalMs = options.intervalMs ?? 5000;
    super(repos, Math.min(intervalMs, 1000));
    this.intervalMs = intervalMs;
    this.graceMs = options.graceMs ?? 15_000;
  }

  protected override readonly claimable: readonly DeploymentStatus[] = ['queued'];

  protected override follows(deployment: Deployment): boolean {
    return (
      deployment.status === 'queued' && !deployment.runId && this.executorOf(deployment) !== null
    );
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
    const executor = this.executorOf(deployment);
    if (!executor) return;
    const run = await executor.findStarted(deployment);
    if (run) {
      if (run.snapshot) await this.tracker.applyRunSnapshot(run.snapshot);
      else await this.link(deployment, run.runId, run.runUrl);
      // Someone asked to cancel it meanwhile: now there is a run to cancel.
      if (deployment.cancelRequestedBy) await executor.cancel(run.runId);
      return;
    }
    if (now - deployment.updatedAt < executor.giveUpMs) return;
    const fleet = isFleetKind(deployment.kind);
    const undone = await executor.abandon(deployment);
    const asker = deployment.cancelRequestedBy;
    if (asker) {
      // Nothing was started, and someone asked to cancel it: that is how it ends.
      await this.tracker.applyOutcome(
        deployment,
        'cancelled',
        `cancelled by ${asker.name} before anything was started${undone ? `; ${undone}` : ''}`,
        { id: asker.id, name: asker.name },
      );
      return;
    }
    await this.tracker.applyOutcome(
      deployment,
      'failed',
      (fleet
        ? `never sent: no SSM command marked with this deployment ${Math.round(executor.giveUpMs / 1000)} s after it was queued (the API stopped before sending it); no host was touched`
        : `never dispatched: no GitHub run named with request ${deployment.requestId} ${Math.round(executor.giveUpMs / 1000)} s after it was queued (the API stopped before dispatching it); nothing was started`) +
        (undone ? `; ${undone}` : ''),
      SYSTEM_ACTOR,
    );
  }

  private executorOf(deployment: Deployment): DeploymentExecutor | null {
    return isFleetKind(deployment.kind) ? this.executors.fleet : this.executors.workflows;
  }

  /** A command found: recorded as the deployment's run, which the fleet poller then follows. */
  private async link(deployment: Deployment, runId: string, runUrl: string): Promise<void> {
    try {
      await this.repos.deployments.transition(
        deployment.id,
        'dispatched',
        { runId, runUrl },
        'queued',
      );
    } catch (error) {
      if (!(error instanceof StaleDeploymentError)) throw error;
    }
  }
}
