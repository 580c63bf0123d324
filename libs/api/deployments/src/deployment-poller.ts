import { isFleetKind, isTerminal } from '@chatops/domain';
import type { GithubRepository } from '@chatops/github';
import type { Deployment, Repositories } from '@chatops/persistence';
import { ClaimedPoller } from './claimed-poller';
import type { DeploymentTracker } from './deployment-tracker';

export interface PollerOptions {
  /** At most one GitHub request per this interval per active deployment (default 5 s). */
  intervalMs?: number;
  /** Poll a run no webhook has mentioned this long after it was requested (default 15 s). */
  webhookGraceMs?: number;
  /** Poll a run whose webhooks went quiet for this long (default 10 min). */
  webhookSilenceMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

/**
 * The fallback when webhooks do not arrive: each tick, every in-flight deployment that has not
 * heard from GitHub recently gets exactly one request (claimed in the database, so several API
 * replicas together still make one per interval): its jobs while they run, the run itself when
 * it may have ended.
 */
export class DeploymentPoller extends ClaimedPoller {
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private readonly silenceMs: number;
  /** What the last poll of each run read (this replica's view; only its rhythm depends on it). */
  private readonly lastRead = new Map<string, 'run' | 'jobs'>();
  /** When this process started: webhooks sent before it may have found no replica listening. */
  private readonly startedAt = Date.now();
  /** Runs looked at once since this process started (catching up on missed webhooks). */
  private readonly caughtUp = new Set<string>();

  constructor(
    repositories: Pick<Repositories, 'deployments'>,
    private readonly github: GithubRepository,
    private readonly tracker: DeploymentTracker,
    private readonly options: PollerOptions = {},
  ) {
    const intervalMs = options.intervalMs ?? 5000;
    super(repositories, Math.min(intervalMs, 1000));
    this.intervalMs = intervalMs;
    this.graceMs = options.webhookGraceMs ?? 15_000;
    this.silenceMs = options.webhookSilenceMs ?? 600_000;
  }

  /**
   * A little over the interval: a request leaves some milliseconds after its claim and that
   * delay varies, so claims exactly one interval apart could put two in one window.
   */
  protected spacing(): number {
    return this.intervalMs + Math.min(250, this.intervalMs / 20);
  }

  protected failed(deployment: Deployment, error: unknown): void {
    this.options.log?.warn(
      { err: error, deploymentId: deployment.id },
      'polling GitHub for a run failed; next tick retries',
    );
  }

  protected due(deployment: Deployment, now: number): boolean {
    // SSM commands are followed by the FleetPoller.
    if (isFleetKind(deployment.kind)) return false;
    // Once polling has begun for a run it continues (the claim spaces the requests out).
    if (deployment.lastWebhookAt === null)
      return deployment.polledAt !== null || now - deployment.updatedAt >= this.graceMs;
    // GitHub does not redeliver a webhook nobody answered: after a restart, each run whose last
    // webhook came before it gets one look, so an end sent while no API listened is not missed.
    if (deployment.lastWebhookAt < this.startedAt && !this.caughtUp.has(deployment.id)) return true;
    return now - deployment.lastWebhookAt >= this.silenceMs;
  }

  protected async look(deployment: Deployment): Promise<void> {
    if (deployment.lastWebhookAt !== null && deployment.lastWebhookAt < this.startedAt)
      this.caughtUp.add(deployment.id);
    const runId = deployment.runId as string;
    const jobs = deployment.progress;
    const allDone = jobs.length > 0 && jobs.every((j) => j.status === 'completed');
    // Jobs while they run; the run when it may have ended or has not started its jobs yet. After
    // a look at the run, the jobs again: a later job (created once the first ended) or the last
    // steps of one are then seen before the run's end freezes the progress.
    const lastWasRun = this.lastRead.get(deployment.id) === 'run';
    const readRun =
      deployment.status === 'dispatched' ||
      (!lastWasRun &&
        (allDone || (jobs.length === 0 && Math.floor(Date.now() / this.intervalMs) % 2 === 0)));
    this.lastRead.set(deployment.id, readRun ? 'run' : 'jobs');
    if (readRun) {
      const result = await this.tracker.applyRunSnapshot(await this.github.getRun(runId));
      if (result.applied && isTerminal(result.deployment.status))
        this.lastRead.delete(deployment.id);
    } else await this.tracker.applyJobSnapshot(deployment, await this.github.listJobs(runId));
  }
}
