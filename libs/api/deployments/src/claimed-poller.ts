import type { DeploymentStatus } from '@chatops/domain';
import type { Deployment, Repositories } from '@chatops/persistence';

/**
 * The loop both pollers share: each tick, every deployment in flight that is due gets one look,
 * claimed in the database first (`claimPoll`), so any number of API replicas together look at a
 * deployment at most once per spacing, and a restarted API simply carries on. Subclasses say
 * which deployments are due, how far apart their looks are, and what a look does.
 */
export abstract class ClaimedPoller {
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;

  protected constructor(
    protected readonly repositories: Pick<Repositories, 'deployments'>,
    /** How often the loop wakes up to see what is due. */
    private readonly wakeMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.wakeMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass over the deployments in flight; returns how many were looked at. */
  async tick(now = Date.now()): Promise<number> {
    if (this.ticking) return 0;
    this.ticking = true;
    let looked = 0;
    try {
      for (const deployment of await this.repositories.deployments.listActive()) {
        if (!this.follows(deployment) || !this.due(deployment, now)) continue;
        if (
          !(await this.repositories.deployments.claimPoll(
            deployment.id,
            this.spacing(deployment, now),
            this.claimable,
          ))
        )
          continue;
        looked++;
        await this.look(deployment, now).catch((error: unknown) =>
          this.failed(deployment, error, now),
        );
      }
    } finally {
      this.ticking = false;
    }
    return looked;
  }

  /** The states in which the claim of a look holds (the database checks it again). */
  protected readonly claimable: readonly DeploymentStatus[] = ['dispatched', 'running'];

  /** Which deployments in flight this loop looks after: by default those with a run going. */
  protected follows(deployment: Deployment): boolean {
    return (
      (deployment.status === 'dispatched' || deployment.status === 'running') &&
      deployment.runId !== null
    );
  }

  protected abstract due(deployment: Deployment, now: number): boolean;
  /** The least time between two looks at this deployment. */
  protected abstract spacing(deployment: Deployment, now: number): number;
  protected abstract look(deployment: Deployment, now: number): Promise<void>;
  /** A look failed; the next due tick tries again. */
  protected abstract failed(deployment: Deployment, error: unknown, now: number): void;
}
