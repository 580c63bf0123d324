import { AuditActor, AuditOutcome, DeploymentStatus, isFleetKind } from '@chatops/domain';
import type { Deployment, Repositories } from '@chatops/persistence';

export const GITHUB_ACTOR = { id: 'system:github', name: 'GitHub Actions' };
export const SYSTEM_ACTOR = { id: 'system:chatops', name: 'ChatOps' };
export const SSM_ACTOR = { id: 'system:ssm', name: 'AWS Systems Manager' };

/** What a request asked for, before it became a deployment (a refusal has no deployment). */
export interface RequestedScope {
  requestId: string;
  kind: string;
  service?: string | null;
  environment?: string | null;
  ref?: string | null;
  version?: string | null;
  actor: AuditActor;
  source?: string | null;
}

export type Decision = 'approve' | 'reject' | 'cancel';

/**
 * Every audit record the deploy core writes, built in one place so each carries the same facts:
 * the deployment, what it changes (ref, or version from → to), the run and its link, and the
 * actor who did it (a person, or the system that decided: GitHub, SSM, the platform).
 */
export class DeploymentAuditor {
  constructor(private readonly repositories: Pick<Repositories, 'audit'>) {}

  /** A request refused (invalid, denied, locked) or failed before it was recorded. */
  refused(
    request: RequestedScope,
    outcome: Extract<AuditOutcome, 'rejected' | 'denied' | 'failed'>,
    detail: Record<string, unknown>,
  ) {
    return this.repositories.audit.append({
      actor: request.actor,
      action: request.kind,
      outcome,
      service: request.service ?? null,
      environment: request.environment ?? null,
      source: request.source ?? null,
      detail: {
        requestId: request.requestId,
        ref: request.ref ?? null,
        ...(request.version ? { version: request.version } : {}),
        ...detail,
      },
    });
  }

  /** Recorded and waiting for approvers. */
  awaitingApproval(deployment: Deployment, source: string | null) {
    return this.record(deployment, deployment.requestedBy, 'requested', source, {
      approvalsRequired: deployment.approvalsRequired,
      ...(deployment.freeze ? { freeze: deployment.freeze } : {}),
    });
  }

  /** Handed to GitHub or SSM: the requester's, with the approver who released it beside them. */
  dispatched(
    deployment: Deployment,
    run: { runId: string; runUrl: string; correlatedBy?: string },
    approvedBy?: AuditActor,
  ) {
    return this.record(
      deployment,
      deployment.requestedBy,
      'requested',
      runSource(deployment, run.runId),
      {
        runUrl: run.runUrl,
        ...(run.correlatedBy ? { correlatedBy: run.correlatedBy } : {}),
        ...(approvedBy ? { approvedBy } : {}),
      },
    );
  }

  /** An approver's or canceller's decision (`deploy.approve`, `deploy.cancel`). */
  decision(
    deployment: Deployment,
    who: { actor: AuditActor; source?: string | null },
    decision: Decision,
    outcome: AuditOutcome,
    detail: Record<string, unknown> = {},
  ) {
    return this.record(deployment, who.actor, outcome, who.source ?? null, detail, decision);
  }

  /** A decision about a deployment that does not exist (a forged or mistyped id). */
  unknownDeployment(
    id: string,
    who: { actor: AuditActor; source?: string | null },
    decision: Decision,
  ) {
    return this.repositories.audit.append({
      actor: who.actor,
      action: `deployment.${decision}`,
      outcome: 'rejected',
      service: null,
      environment: null,
      source: who.source ?? null,
      detail: { deploymentId: id, reason: 'no such deployment' },
    });
  }

  /** Cancelled, by whoever asked (or by GitHub/SSM when nobody here did). */
  cancelled(deployment: Deployment, actor: AuditActor, source: string | null) {
    return this.record(deployment, actor, 'cancelled', source ?? runSource(deployment), {});
  }

  /** The end of a deployment, decided by its run's source unless someone else decided it. */
  ended(deployment: Deployment, status: DeploymentStatus, decidedBy?: AuditActor) {
    const fleet = isFleetKind(deployment.kind);
    if (status === 'cancelled')
      return this.cancelled(
        deployment,
        decidedBy ??
          (deployment.cancelRequestedBy
            ? { id: deployment.cancelRequestedBy.id, name: deployment.cancelRequestedBy.name }
            : fleet
              ? SSM_ACTOR
              : GITHUB_ACTOR),
        null,
      );
    return this.record(
      deployment,
      decidedBy ?? (fleet ? SSM_ACTOR : GITHUB_ACTOR),
      status === 'succeeded' ? 'succeeded' : 'failed',
      runSource(deployment),
      {
        status,
        ...(fleet
          ? {
              hosts: deployment.progress.map((job) => ({
                instanceId: job.id,
                status: job.detail ?? job.conclusion,
              })),
            }
          : {}),
        ...(deployment.error ? { error: deployment.error } : {}),
      },
    );
  }

  /** One record about a deployment, with the facts every record carries. */
  private record(
    deployment: Deployment,
    actor: AuditActor,
    outcome: AuditOutcome,
    source: string | null,
    detail: Record<string, unknown>,
    decision?: Decision,
  ) {
    return this.repositories.audit.append({
      actor,
      action: decision ? `${deployment.kind}.${decision}` : deployment.kind,
      outcome,
      service: deployment.service,
      environment: deployment.environment,
      source,
      detail: { ...deploymentFacts(deployment), ...detail },
    });
  }
}

/** What a deployment changes and where it ran, for any record about it. */
export function deploymentFacts(deployment: Deployment): Record<string, unknown> {
  return {
    deploymentId: deployment.id,
    requestId: deployment.requestId,
    ...(isFleetKind(deployment.kind)
      ? {
          version: deployment.version ?? deployment.ref,
          ...(deployment.fromVersion ? { from: deployment.fromVersion } : {}),
        }
      : { ref: deployment.ref }),
    ...(deployment.headSha ? { headSha: deployment.headSha } : {}),
    ...(deployment.outputs?.amiId ? { amiId: deployment.outputs.amiId } : {}),
    ...(deployment.runId ? { runId: deployment.runId } : {}),
    ...(deployment.runUrl ? { runUrl: deployment.runUrl } : {}),
  };
}

function runSource(deployment: Deployment, runId = deployment.runId): string | null {
  if (!runId) return null;
  return `${isFleetKind(deployment.kind) ? 'ssm:command' : 'github:run'}/${runId}`;
}
