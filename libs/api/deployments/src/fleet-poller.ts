import { AwsError, hostsAfterRollout } from '@chatops/aws-fleet';
import { isFleetKind } from '@chatops/domain';
import type { Deployment, Repositories } from '@chatops/persistence';
import { ClaimedPoller } from './claimed-poller';
import type { DeploymentTracker } from './deployment-tracker';
import { FleetExecutor, jobOfInvocation } from './fleet-executor';

export interface FleetPollerOptions {
  /** First pause between two looks at one command (default 2 s); it grows as the command ages. */
  intervalMs?: number;
  /** Largest pause (default 10 s). */
  maxIntervalMs?: number;
  /** A command no host has picked up after this long has failed (default 2 min). */
  undeliveredMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

/**
 * Follows the SSM commands of `/redeploy` and `/rollback` to their end, per host. Like the
 * GitHub poller, each look is claimed in the database, so any number of API replicas make one
 * request per interval per command, and a restarted API carries on where it stopped. The pause
 * grows with the command's age and doubles while AWS throttles. The end, with each failed host's
 * output tail, goes through the tracker: lease released, audited, message edited.
 */
export class FleetPoller extends ClaimedPoller {
  private readonly intervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly undeliveredMs: number;
  private readonly throttledUntil = new Map<string, { until: number; pause: number }>();

  constructor(
    repositories: Pick<Repositories, 'deployments'>,
    private readonly fleet: FleetExecutor,
    private readonly tracker: DeploymentTracker,
    private readonly options: FleetPollerOptions = {},
  ) {
    const intervalMs = options.intervalMs ?? 2000;
    super(repositories, Math.min(intervalMs, 500));
    this.intervalMs = intervalMs;
    this.maxIntervalMs = Math.max(options.maxIntervalMs ?? 10_000, this.intervalMs);
    this.undeliveredMs = options.undeliveredMs ?? 120_000;
  }

  protected due(deployment: Deployment, now: number): boolean {
    return (
      isFleetKind(deployment.kind) && (this.throttledUntil.get(deployment.id)?.until ?? 0) <= now
    );
  }

  protected failed(deployment: Deployment, error: unknown, now: number): void {
    if (error instanceof AwsError && error.kind === 'throttled') {
      const pause = Math.min(
        (this.throttledUntil.get(deployment.id)?.pause ?? this.intervalMs) * 2,
        this.maxIntervalMs * 6,
      );
      this.throttledUntil.set(deployment.id, { until: now + pause, pause });
    }
    this.options.log?.warn(
      { err: error, deploymentId: deployment.id },
      'following an SSM command failed; a later tick retries',
    );
  }

  /** 2 s for a young command, growing by half the interval per 30 s of age, up to the max. */
  protected spacing(deployment: Deployment, now: number): number {
    const age = Math.max(0, now - deployment.createdAt);
    return Math.min(this.intervalMs * (1 + Math.floor(age / 30_000) / 2), this.maxIntervalMs);
  }

  protected async look(deployment: Deployment, now: number): Promise<void> {
    const commandId = deployment.runId as string;
    const invocations = await this.fleet.listInvocations(commandId);
    this.throttledUntil.delete(deployment.id);
    if (!invocations.length) {
      if (now - deployment.createdAt >= this.undeliveredMs)
        await this.tracker.applyOutcome(deployment, 'failed', 'no host received the command');
      return;
    }
    const finished = invocations.every((i) => jobOfInvocation(i).status === 'completed');
    if (finished)
      for (const invocation of invocations)
        if (invocation.status !== 'Success')
          invocation.outputTail = await this.fleet.outputTail(commandId, invocation.instanceId);
    const result = await this.tracker.applyJobSnapshot(
      deployment,
      invocations.map(jobOfInvocation),
    );
    if (!finished) return;
    const current = result.applied ? result.deployment : deployment;
    const failed = invocations.filter((i) => i.status !== 'Success' && i.status !== 'Cancelled');
    const cancelled = invocations.filter((i) => i.status === 'Cancelled');
    if (!failed.length && !cancelled.length)
      await this.tracker.applyOutcome(current, 'succeeded', null);
    else if (!failed.length) await this.tracker.applyOutcome(current, 'cancelled', null);
    else {
      // Not left half-way: the desired version goes back to the one it replaced (the hosts that
      // took the new one show in the message and in /status until the fleet converges).
      const undone = await this.fleet.abandon(current);
      const split = hostsAfterRollout(invocations, current.ref, current.fromVersion);
      await this.tracker.applyOutcome(
        current,
        'failed',
        `${failed.length} of ${invocations.length} hosts failed: ${failed.map((i) => `${i.instanceId} (${i.status})`).join(', ')}; ${split}${undone ? `; ${undone}` : ''}`,
      );
    }
  }
}
