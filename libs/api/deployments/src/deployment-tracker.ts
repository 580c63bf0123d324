import {
  canTransition,
  type Clock,
  DeploymentStatus,
  isFleetKind,
  isTerminal,
  JobProgress,
  systemClock,
} from '@chatops/domain';
import {
  deploymentStatusFor,
  jobProgressOf,
  WorkflowJobEvent,
  WorkflowRunEvent,
} from '@chatops/github';
import type { Deployment, DeploymentOutputs, LockKey, Repositories } from '@chatops/persistence';
import { StaleDeploymentError } from '@chatops/persistence';
import { DeploymentAuditor } from './deployment-auditor';
import { DeploymentNotifier, silentNotifier } from './notifier';

export type TrackResult =
  | { applied: true; deployment: Deployment }
  | { applied: false; reason: 'unknown-run' | 'no-change' | 'out-of-order' | 'raced' };

/** The lease a deployment holds while it runs: one per (environment, service). */
export function lockKeyOf(d: { environment: string; service: string }): LockKey {
  return { environment: d.environment, service: d.service };
}

/** What a run looks like, from a webhook or a poll. */
export interface RunSnapshot {
  id: string;
  status: string | null;
  conclusion: string | null;
  htmlUrl: string;
  displayTitle: string | null;
  /** The commit the run built (absent from older callers' snapshots). */
  headSha?: string | null;
}

type Repos = Pick<Repositories, 'deployments' | 'locks' | 'audit'>;

export interface TrackerOptions {
  notifier?: DeploymentNotifier;
  /** When a webhook was last heard (the poller leaves such runs alone a while). */
  clock?: Clock;
  /** The lease is renewed to this whenever the run shows signs of life. */
  lockTtlMs?: number;
  /** Told once per deployment that ends (metrics: the "deploy failed" alert counts these). */
  onFinished?: (deployment: Deployment, status: DeploymentStatus) => void;
  /**
   * What a workflow that succeeded produced besides its commit (an AMI build's image id), read
   * before its end is audited and shown; a failure to read it leaves it untold.
   */
  outputsOf?: (deployment: Deployment) => Promise<DeploymentOutputs | null>;
  /**
   * A run (or one of its jobs) waits for a protected GitHub environment's reviewers: told so the
   * Discord approval can satisfy GitHub too. Its failures are its own to report.
   */
  onWaiting?: (deployment: Deployment) => Promise<void>;
  log?: { warn(obj: object, msg: string): void };
}

/**
 * Moves deployments along as their workflow runs progress, from webhooks or polling alike. An end
 * state releases the lease the deployment held and is audited. Events arriving out of order or
 * twice change nothing; a run not yet linked to its deployment is recognised by the request id in
 * its run-name.
 */
export class DeploymentTracker {
  private readonly notifier: DeploymentNotifier;
  private readonly lockTtlMs: number;
  private readonly onFinished: NonNullable<TrackerOptions['onFinished']>;
  private readonly auditor: DeploymentAuditor;

  constructor(
    private readonly repositories: Repos,
    private readonly options: TrackerOptions = {},
  ) {
    this.auditor = new DeploymentAuditor(repositories);
    this.notifier = options.notifier ?? silentNotifier;
    this.lockTtlMs = options.lockTtlMs ?? 30 * 60_000;
    this.onFinished = options.onFinished ?? (() => undefined);
  }

  applyWorkflowRun(event: WorkflowRunEvent): Promise<TrackResult> {
    const run = event.workflow_run;
    return this.applyRun(
      {
        id: String(run.id),
        status: run.status ?? null,
        conclusion: run.conclusion ?? null,
        htmlUrl: run.html_url,
        displayTitle: run.display_title ?? null,
        headSha: run.head_sha ?? null,
      },
      'webhook',
    );
  }

  async applyWorkflowJob(event: WorkflowJobEvent): Promise<TrackResult> {
    const deployment = await this.repositories.deployments.findByRunId(
      String(event.workflow_job.run_id),
    );
    if (!deployment) return { applied: false, reason: 'unknown-run' };
    return this.applyJobs(deployment, [jobProgressOf(event.workflow_job)], 'webhook');
  }

  /** A run as read by polling. */
  async applyRunSnapshot(run: RunSnapshot): Promise<TrackResult> {
    return this.applyRun(run, 'poll');
  }

  /** Jobs as read by polling (for SSM commands: one per host). */
  async applyJobSnapshot(deployment: Deployment, jobs: JobProgress[]): Promise<TrackResult> {
    return this.applyJobs(deployment, jobs, 'poll');
  }

  /** How a deployment ended, when its source reports an end rather than a run (SSM commands). */
  async applyOutcome(
    deployment: Deployment,
    next: Extract<DeploymentStatus, 'succeeded' | 'failed' | 'cancelled' | 'timed_out'>,
    error: string | null,
    /** Who decided the end, when it is not the run's source (the platform giving up). */
    decidedBy?: { id: string; name: string },
  ): Promise<TrackResult> {
    // The hosts now run the version it set: that is the image tag it produced.
    const produced =
      next === 'succeeded' && isFleetKind(deployment.kind)
        ? { imageTag: deployment.version ?? deployment.ref }
        : {};
    return this.move(deployment, next, { ...(error ? { error } : {}), ...produced }, decidedBy);
  }

  private async applyRun(run: RunSnapshot, via: 'webhook' | 'poll'): Promise<TrackResult> {
    const deployment =
      (await this.repositories.deployments.findByRunId(run.id)) ?? (await this.linkByRunName(run));
    if (!deployment) return { applied: false, reason: 'unknown-run' };
    if (via === 'webhook') await this.sawWebhook(deployment);
    if (run.status === 'waiting') await this.options.onWaiting?.(deployment);
    const next = deploymentStatusFor({
      id: Number(run.id),
      status: run.status,
      conclusion: run.conclusion,
      html_url: run.htmlUrl,
    });
    // What it built: the commit, and for a deploy the image tag deploy.yml pushes (the SHA). A
    // deploy pinned to the commit its approvers saw builds that one, whatever its branch has now.
    const pinned = deployment.kind === 'deploy' ? pinnedCommit(deployment) : null;
    const built = pinned ?? run.headSha;
    const produced =
      built && !deployment.headSha
        ? { headSha: built, ...(deployment.kind === 'deploy' ? { imageTag: built } : {}) }
        : {};
    return this.move(deployment, next, { runUrl: run.htmlUrl, ...produced });
  }

  private async applyJobs(
    deployment: Deployment,
    jobs: JobProgress[],
    via: 'webhook' | 'poll',
  ): Promise<TrackResult> {
    if (jobs.some((j) => j.status === 'waiting')) await this.options.onWaiting?.(deployment);
    const progress = mergeJobs(deployment.progress, jobs);
    const changed = JSON.stringify(progress) !== JSON.stringify(deployment.progress);
    const updated = await this.repositories.deployments.update(deployment.id, {
      progress,
      ...(via === 'webhook' ? { lastWebhookAt: (this.options.clock ?? systemClock).now() } : {}),
    });
    await this.repositories.locks.renew(
      lockKeyOf(deployment),
      deployment.requestId,
      this.lockTtlMs,
    );
    // A job running means the run is, whichever webhook arrives first.
    const started = jobs.some((j) => j.status === 'in_progress' || j.status === 'completed');
    if (started && updated.status === 'dispatched') return this.move(updated, 'running', {});
    if (changed) this.notifier.changed(deployment.id);
    return changed
      ? { applied: true, deployment: updated }
      : { applied: false, reason: 'no-change' };
  }

  private async move(
    deployment: Deployment,
    next: DeploymentStatus | null,
    patch: { runUrl?: string; error?: string; headSha?: string; imageTag?: string },
    decidedBy?: { id: string; name: string },
  ): Promise<TrackResult> {
    if (next === null || next === deployment.status) return { applied: false, reason: 'no-change' };
    if (!canTransition(deployment.status, next)) return { applied: false, reason: 'out-of-order' };
    // A run cancelled at someone's request says whose (the message and /status show it).
    const canceller = deployment.cancelRequestedBy;
    const fields =
      next === 'cancelled' && canceller && !patch.error
        ? { ...patch, error: `cancelled by ${canceller.name}` }
        : patch;
    let updated: Deployment;
    try {
      updated = await this.repositories.deployments.transition(
        deployment.id,
        next,
        fields,
        deployment.status,
      );
    } catch (error) {
      if (error instanceof StaleDeploymentError) return { applied: false, reason: 'raced' };
      throw error;
    }
    if (next === 'succeeded') updated = await this.withOutputs(updated);
    if (isTerminal(next)) await this.finish(updated, next, decidedBy);
    else await this.repositories.locks.renew(lockKeyOf(updated), updated.requestId, this.lockTtlMs);
    this.notifier.changed(updated.id);
    return { applied: true, deployment: updated };
  }

  /** A run we dispatched whose id we have not stored yet (its webhook beat the dispatch answer). */
  private async linkByRunName(run: RunSnapshot): Promise<Deployment | null> {
    const requestId = /\[([A-Za-z0-9_-]{1,100})\]\s*$/.exec(run.displayTitle ?? '')?.[1];
    if (!requestId) return null;
    const deployment = await this.repositories.deployments.findByRequestId(requestId);
    if (!deployment || deployment.status !== 'queued' || deployment.runId) return null;
    try {
      return await this.repositories.deployments.transition(
        deployment.id,
        'dispatched',
        { runId: run.id, runUrl: run.htmlUrl },
        'queued',
      );
    } catch (error) {
      if (error instanceof StaleDeploymentError)
        return this.repositories.deployments.findByRunId(run.id);
      throw error;
    }
  }

  private async sawWebhook(deployment: Deployment): Promise<void> {
    await this.repositories.deployments.update(deployment.id, {
      lastWebhookAt: (this.options.clock ?? systemClock).now(),
    });
  }

  private async withOutputs(deployment: Deployment): Promise<Deployment> {
    if (!this.options.outputsOf || isFleetKind(deployment.kind)) return deployment;
    try {
      const outputs = await this.options.outputsOf(deployment);
      return outputs
        ? await this.repositories.deployments.update(deployment.id, { outputs })
        : deployment;
    } catch (error) {
      this.options.log?.warn(
        { err: error, deploymentId: deployment.id },
        'could not read what the run produced',
      );
      return deployment;
    }
  }

  private async finish(
    deployment: Deployment,
    status: DeploymentStatus,
    decidedBy?: { id: string; name: string },
  ): Promise<void> {
    await this.repositories.locks.release(lockKeyOf(deployment), deployment.requestId);
    this.onFinished(deployment, status);
    await this.auditor.ended(deployment, status, decidedBy);
  }
}

/**
 * Newer information wins per job; a completed job is never reverted by a late "in progress"
 * (webhooks are not ordered).
 */
export function mergeJobs(
  current: readonly JobProgress[],
  incoming: readonly JobProgress[],
): JobProgress[] {
  const merged = [...current];
  for (const job of incoming) {
    const index = merged.findIndex((j) => j.id === job.id);
    if (index < 0) merged.push(job);
    else if (!(merged[index]?.status === 'completed' && job.status !== 'completed'))
      merged[index] = job;
  }
  return merged;
}

/** The full commit SHA a deploy's stored inputs pin it to (null: a ref built as found). */
export function pinnedCommit(deployment: Pick<Deployment, 'inputs'>): string | null {
  const ref = deployment.inputs?.['ref'] ?? '';
  return /^[0-9a-f]{40}$/.test(ref) ? ref : null;
}
