import type { DiscordChannelRepository } from '@chatops/discord-channel';
import { describeRequest, formatDuration, renderBakePing } from '@chatops/discord-ui';
import {
  type BakeFinding,
  type BakePolicy,
  type Catalog,
  checkQuery,
  type Clock,
  failingAlerts,
  failingCheck,
  findEnvironment,
  isChange,
  Refusal,
  systemClock,
} from '@chatops/domain';
import type { Bake, Deployment, Repositories } from '@chatops/persistence';
import type { PrometheusRepository } from '@chatops/prometheus';
import { versionsAround } from './alert-correlator';
import { deliveryRecordOf } from './delivery-metrics-reader';
import type { RequestOutcome } from './deployment-core';
import { bakeRollbackRequestId } from './deployment-requests';
import type { DeploymentNotifier } from './notifier';

export interface BakeWatcherOptions {
  /** How often the loop wakes up (default 5 s). */
  wakeMs?: number;
  /** The least time between two looks at one bake, across replicas (default 15 s). */
  lookEveryMs?: number;
  /**
   * How long a replica holds a failed bake's action before another may take it again (it died
   * taking it); default 2 minutes. The rollback itself is once per deployment whatever happens.
   */
  actionLeaseMs?: number;
  clock?: Clock;
  log?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
}

/** The platform's rollback of a deploy whose bake failed (DeploymentService). */
export type BakeRollback = (deployment: Deployment) => Promise<RequestOutcome>;

const BAKED_KINDS = new Set(['deploy', 'redeploy']);

/**
 * The bake window (the environment's `bake` in the catalog): once a deploy or redeploy to a new
 * version there succeeded (a restart is not watched), Prometheus is watched until the window ends. Alerts of its rules labelled with the
 * service and environment that fire since the deployment was requested, or a check past its
 * threshold, fail it at once: the deployment is marked failed (delivery metrics), and either the
 * platform rolls back to the last known good (`onFailure: rollback`) or the requester is pinged
 * with a Roll back button (`ping`, and whenever the rollback is refused, e.g. by a lock someone
 * placed). Nothing found by the end: healthy.
 *
 * Restart-safe and replica-safe: bakes are derived from the record (a success without one gets
 * it, while its window lasts), each look, verdict and action is a conditional write, and the
 * rollback is one request per deployment. While Prometheus cannot be read, a bake stays baking
 * (logged) rather than pass unseen.
 */
export class BakeWatcher {
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private readonly clock: Clock;

  constructor(
    private readonly catalog: Catalog,
    private readonly repositories: Pick<Repositories, 'deployments' | 'bakes'>,
    private readonly prometheus: PrometheusRepository,
    private readonly rollback: BakeRollback,
    private readonly channel: DiscordChannelRepository | null,
    private readonly notifier: DeploymentNotifier,
    private readonly options: BakeWatcherOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Whether any environment bakes: without one the watcher need not run. */
  static wanted(catalog: Catalog): boolean {
    return catalog.environments.some((e) => e.bake);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.wakeMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass: starts the bakes of new successes, looks at what is due, acts on failures. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.startNew();
      for (const bake of await this.repositories.bakes.listOpen()) {
        try {
          if (bake.status === 'baking') await this.lookAt(bake);
          else await this.act(bake);
        } catch (error) {
          this.options.log?.warn(
            { err: error, deploymentId: bake.deploymentId },
            'could not look at a bake; trying again on the next pass',
          );
        }
      }
    } catch (error) {
      this.options.log?.warn({ err: error }, 'bake pass failed');
    } finally {
      this.ticking = false;
    }
  }

  private policyOf(environment: string): BakePolicy | undefined {
    return findEnvironment(this.catalog, environment)?.bake;
  }

  /** A success whose window is still open and has no bake gets one (after a restart too). */
  private async startNew(): Promise<void> {
    const longest = Math.max(0, ...this.catalog.environments.map((e) => e.bake?.minutes ?? 0));
    if (!longest) return;
    const now = this.clock.now();
    const recent = (
      await this.repositories.deployments.listSucceededSince({ since: now - longest * 60_000 })
    ).filter((d) => {
      const policy = this.policyOf(d.environment);
      return (
        BAKED_KINDS.has(d.kind) &&
        // A restart (the version that runs, again) changes nothing to watch for.
        isChange(deliveryRecordOf(d)) &&
        policy &&
        d.finishedAt !== null &&
        d.finishedAt + policy.minutes * 60_000 > now
      );
    });
    const known = await this.repositories.bakes.known(recent.map((d) => d.id));
    for (const deployment of recent) {
      if (known.has(deployment.id)) continue;
      const policy = this.policyOf(deployment.environment);
      const startedAt = deployment.finishedAt ?? now;
      const started = await this.repositories.bakes.start({
        deploymentId: deployment.id,
        service: deployment.service,
        environment: deployment.environment,
        startedAt,
        endsAt: startedAt + (policy?.minutes ?? 0) * 60_000,
      });
      if (started) this.notifier.changed(deployment.id);
    }
  }

  private async lookAt(bake: Bake): Promise<void> {
    if (!(await this.repositories.bakes.claimCheck(bake.deploymentId, this.lookEveryMs()))) return;
    const deployment = await this.repositories.deployments.get(bake.deploymentId);
    const policy = this.policyOf(bake.environment);
    if (!deployment || !policy) {
      // The environment no longer bakes (the catalog changed): nothing to watch for.
      await this.decide(bake, { status: 'healthy' });
      return;
    }
    const finding = await this.findingOf(bake, deployment, policy);
    if (finding) {
      const text = `${finding.what} ${describeWhen(finding.at, bake.startedAt, deployment.kind)}`;
      if (!(await this.decide(bake, { status: 'failed', finding: text, foundAt: finding.at })))
        return;
      await this.repositories.deployments.markFailed(
        deployment.id,
        Math.max(finding.at, bake.startedAt),
        `bake: ${text}`,
      );
      await this.act({ ...bake, status: 'failed', finding: text, foundAt: finding.at });
    } else if (this.clock.now() >= bake.endsAt) {
      await this.decide(bake, { status: 'healthy' });
    }
  }

  /** The earliest finding: an alert that fired since the request, or a check past its bounds. */
  private async findingOf(
    bake: Bake,
    deployment: Deployment,
    policy: BakePolicy,
  ): Promise<BakeFinding | null> {
    const findings = failingAlerts(await this.prometheus.alerts(), {
      service: bake.service,
      environment: bake.environment,
      since: deployment.createdAt,
    }).filter((f) => f.at <= bake.endsAt);
    const now = Math.min(this.clock.now(), bake.endsAt);
    for (const check of policy.checks) {
      const samples = await this.prometheus.query(
        checkQuery(check, bake.service, bake.environment),
        now,
      );
      const failing = failingCheck(
        check,
        samples.map((s) => s.value),
        now,
      );
      if (failing) findings.push(failing);
    }
    return findings.sort((a, b) => a.at - b.at)[0] ?? null;
  }

  private async decide(
    bake: Bake,
    verdict: { status: 'healthy' | 'failed'; finding?: string; foundAt?: number },
  ): Promise<boolean> {
    const decided = await this.repositories.bakes.decide(bake.deploymentId, verdict);
    if (decided) {
      this.options.log?.info?.(
        { deploymentId: bake.deploymentId, ...verdict },
        `bake of ${bake.service} on ${bake.environment}: ${verdict.status}`,
      );
      this.notifier.changed(bake.deploymentId);
    }
    return decided;
  }

  /** A failed bake's action, by one replica: the platform's rollback, or the requester's ping. */
  private async act(bake: Bake): Promise<void> {
    if (!(await this.repositories.bakes.claimAction(bake.deploymentId, this.actionLeaseMs())))
      return;
    const deployment = await this.repositories.deployments.get(bake.deploymentId);
    if (!deployment) return;
    const policy = this.policyOf(bake.environment);
    let notRolledBack: string | null = null;
    if (policy?.onFailure === 'rollback') {
      // A replica that died after asking for the rollback: it was asked, once; say so.
      const asked = await this.repositories.deployments.findByRequestId(
        bakeRollbackRequestId(deployment.id),
      );
      const newer = asked ? null : await this.newerThan(deployment);
      if (newer) notRolledBack = `${describeRequest(newer)} was requested since`;
      else {
        try {
          const { deployment: rollback } = await this.rollback(deployment);
          await this.repositories.bakes.recordAction(
            bake.deploymentId,
            'rolled-back',
            `to ${rollback.ref}`,
          );
          this.notifier.changed(bake.deploymentId);
          return;
        } catch (error) {
          if (!(error instanceof Refusal)) throw error;
          notRolledBack = error.message;
        }
      }
    }
    await this.ping(deployment, bake, notRolledBack);
    await this.repositories.bakes.recordAction(
      bake.deploymentId,
      notRolledBack === null ? 'pinged' : 'rollback-refused',
      notRolledBack ?? '',
    );
    this.notifier.changed(bake.deploymentId);
  }

  /** A deployment of the same service there requested after this one: not ours to roll back. */
  private async newerThan(deployment: Deployment): Promise<Deployment | null> {
    const recent = await this.repositories.deployments.listRecent({
      service: deployment.service,
      environment: deployment.environment,
      limit: 20,
    });
    return (
      recent.find(
        (d) =>
          d.id !== deployment.id &&
          d.createdAt > deployment.createdAt &&
          d.kind !== 'infra-plan' &&
          !['rejected', 'expired', 'cancelled'].includes(d.status),
      ) ?? null
    );
  }

  /** A reply to the deployment's message mentioning its requester, with the Roll back button. */
  private async ping(
    deployment: Deployment,
    bake: Bake,
    notRolledBack: string | null,
  ): Promise<void> {
    if (!this.channel || !deployment.channelId) return;
    const { rollbackTo } = await versionsAround(this.repositories, deployment);
    const message = renderBakePing({
      requesterId: deployment.requestedBy.id,
      what: describeRequest(deployment),
      finding: bake.finding ?? 'the bake failed',
      notRolledBack,
      service: deployment.service,
      environment: deployment.environment,
      rollbackTo,
    });
    const requester = deployment.requestedBy.id;
    await this.channel.postMessage(deployment.channelId, message, {
      ...(deployment.messageId ? { replyTo: deployment.messageId } : {}),
      mentionUsers: /^\d{17,20}$/.test(requester) ? [requester] : [],
    });
  }

  private lookEveryMs(): number {
    return this.options.lookEveryMs ?? 15_000;
  }

  private actionLeaseMs(): number {
    return this.options.actionLeaseMs ?? 120_000;
  }
}

/** "3m 0s after the deploy", or "while the redeploy rolled out". */
function describeWhen(at: number, liveAt: number, kind: string): string {
  return at < liveAt
    ? `while the ${kind} rolled out`
    : `${formatDuration(at - liveAt)} after the ${kind}`;
}
