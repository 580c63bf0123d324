import {
  type AlertDeployContext,
  CORRELATED_KINDS,
  type AlertGroupState,
  type Catalog,
  catalogTarget,
  correlationWindowMs,
  failsADeployment,
} from '@chatops/domain';
import { formatDuration } from '@chatops/discord-ui';
import type { Deployment, Repositories } from '@chatops/persistence';
import { badVersionsOf, sameVersion } from './fleet-executor';

/** The version a deployment put on the hosts, as recorded (null: not known). */
function versionOf(deployment: Deployment): string | null {
  return deployment.imageTag ?? deployment.version;
}

/**
 * What a deployment changed and where a rollback from it would go, from the record: the version
 * it left, the one it put there, and the last known good before it (not the one it put there,
 * one a rollback left, or one whose latest deploy failed; null: none).
 */
export async function versionsAround(
  repositories: Pick<Repositories, 'deployments'>,
  deployment: Deployment,
): Promise<{ from: string | null; to: string | null; rollbackTo: string | null }> {
  const before = await repositories.deployments.listRecent({
    service: deployment.service,
    environment: deployment.environment,
    before: deployment.createdAt,
    limit: 200,
  });
  const to = versionOf(deployment);
  const bad = badVersionsOf([deployment, ...before]);
  const earlier = before
    .filter((d) => d.status === 'succeeded' && CORRELATED_KINDS.some((k) => k === d.kind))
    .map(versionOf)
    .filter((v): v is string => v !== null);
  // What it replaced comes first (the record may not hold how that got there: the first deploy
  // through the platform), then what succeeded before, newest first.
  const candidates = deployment.fromVersion ? [deployment.fromVersion, ...earlier] : earlier;
  return {
    from: deployment.fromVersion ?? earlier[0] ?? null,
    to,
    rollbackTo: candidates.find((v) => !bad.has(v) && !(to !== null && sameVersion(v, to))) ?? null,
  };
}

/**
 * Ties an alert group to the deployment it fired after: the latest deploy, redeploy or rollback
 * of the service and environment its labels name that went live within the environment's window
 * (`alertCorrelationMinutes`) before the group started firing, or was rolling out then. The
 * alert message shows that deployment and offers a rollback to the last known good before it.
 *
 * A correlated alert (any severity but `info`) marks a deploy or redeploy failed for the
 * delivery metrics, once: the first finding is kept, whichever replica renders it.
 */
export class AlertCorrelator {
  constructor(
    private readonly catalog: Catalog,
    private readonly repositories: Pick<Repositories, 'deployments'>,
  ) {}

  async correlate(state: AlertGroupState): Promise<AlertDeployContext | null> {
    const target = catalogTarget(this.catalog, state);
    if (!target) return null;
    const windowMs = correlationWindowMs(this.catalog, target.environment);
    if (windowMs <= 0) return null;
    const deployment = await this.repositories.deployments.findPreceding({
      ...target,
      at: state.firingSince,
      windowMs,
    });
    const kind = CORRELATED_KINDS.find((k) => k === deployment?.kind);
    if (!deployment?.finishedAt || !kind) return null;
    const { from, to, rollbackTo } = await versionsAround(this.repositories, deployment);
    if (kind !== 'rollback' && failsADeployment(state)) await this.markFailed(deployment, state);
    return {
      deploymentId: deployment.id,
      kind,
      service: deployment.service,
      environment: deployment.environment,
      from,
      to,
      by: deployment.requestedBy.name,
      liveAt: deployment.finishedAt,
      link: deployment.runUrl,
      rollbackTo,
    };
  }

  private async markFailed(deployment: Deployment, state: AlertGroupState): Promise<void> {
    const liveAt = deployment.finishedAt ?? state.firingSince;
    const name = state.groupLabels['alertname'] ?? state.commonLabels['alertname'] ?? 'an alert';
    const after =
      state.firingSince < liveAt
        ? 'while it rolled out'
        : `${formatDuration(state.firingSince - liveAt)} after it went live`;
    await this.repositories.deployments.markFailed(
      deployment.id,
      Math.max(liveAt, state.firingSince),
      `${name} fired ${after}`,
    );
  }
}
