import {
  activeFreeze,
  BackwardsConfirmation,
  BakingDeployment,
  DeploymentChange,
  ReviewedPlan,
  describeFreeze,
  findEnvironment,
  goesBackwards,
  hasPermission,
  isTerminal,
  Refusal,
} from '@chatops/domain';
import { describeRequest } from '@chatops/discord-ui';
import type { Deployment } from '@chatops/persistence';
import { DeploymentPlan, DeploymentRequest, planRequest } from './deployment-request';
import { lockKeyOf } from './deployment-tracker';
import { DeploymentCore, externalRefusal, RequestOutcome } from './deployment-core';

/**
 * Requests: `/deploy`, `/redeploy`, `/rollback`, `/infra` and `/ami` validated against the
 * catalog, permissions checked again (the bot checked for fast feedback), held for approvals or
 * serialised per (environment, service) with a database lease, then dispatched, once per
 * request id. Nothing is started unless every check passed; a failure releases the lease.
 */
/** What a lock someone placed holds back (infra runs and AMI builds have their own gates). */
const HELD_BY_LOCKS = new Set(['deploy', 'redeploy', 'rollback']);
/** Kinds asked to confirm a target older than what runs (rollbacks go back by design). */
const BACKWARDS_CHECKED = new Set(['deploy', 'redeploy']);
/** The confirmation kind of "go back anyway". */
export const BACKWARDS_CONFIRMATION = 'backwards';
const BACKWARDS_CONFIRMATION_TTL_MS = 5 * 60_000;

interface BackwardsPayload {
  kind: 'deploy' | 'redeploy';
  service: string;
  environment: string;
  ref?: string;
  version?: string;
  promoteFrom?: string;
  /** The version the member saw running when asked. */
  from: string | null;
  /** The deployment in its bake window they were told of, if any. */
  bakingOf?: string | null;
}

/** Who the platform's own rollback after a failed bake is audited as. */
export const BAKE_ACTOR_ID = 'system:bake';

/** The request id of the platform's rollback of a deployment whose bake failed: one, ever. */
export function bakeRollbackRequestId(deploymentId: string): string {
  return `bake-rollback:${deploymentId}`;
}

export class DeploymentRequests extends DeploymentCore {
  request(asked: DeploymentRequest): Promise<RequestOutcome> {
    return this.carryOut(asked, { platform: false });
  }

  /**
   * The platform rolls back a deploy whose bake failed (the environment's `bake.onFailure:
   * rollback`), for its requester: to the last known good, by the ordinary rules (a lock
   * someone placed refuses it; a freeze never holds a rollback), once per deployment (its
   * request id), audited as the platform acting for the requester.
   */
  rollbackAfterBake(deployment: Deployment): Promise<RequestOutcome> {
    return this.carryOut(
      {
        requestId: bakeRollbackRequestId(deployment.id),
        kind: 'rollback',
        service: deployment.service,
        environment: deployment.environment,
        actor: { id: BAKE_ACTOR_ID, name: `ChatOps for ${deployment.requestedBy.name}` },
        roles: { ids: [] },
        channelId: deployment.channelId,
        source: `bake of deployment ${deployment.id}`,
      },
      { platform: true },
    );
  }

  private async carryOut(
    asked: DeploymentRequest,
    /** The platform's own request: no member's permission to check. */
    { platform }: { platform: boolean },
  ): Promise<RequestOutcome> {
    const request = await this.withConfirmation(asked);
    const audit = (outcome: 'rejected' | 'denied' | 'failed', detail: Record<string, unknown>) =>
      this.auditor.refused(request, outcome, detail);

    const planned = planRequest(this.catalog, request);
    let plan = planned.plan;
    const problems = planned.problems;
    if (!plan) {
      await audit('rejected', { problems });
      throw new Refusal('invalid', problems.join('; '), problems);
    }
    if (
      !platform &&
      !hasPermission(this.catalog.roles, request.roles, plan.permission, plan.permissionEnvironment)
    ) {
      await audit('denied', { permission: plan.permission });
      throw new Refusal(
        'denied',
        `you need the \`${plan.permission}\` permission${plan.permissionEnvironment ? ` on \`${plan.permissionEnvironment}\`` : ''}`,
      );
    }
    const existing = await this.repositories.deployments.findByRequestId(request.requestId);
    if (existing) return { outcome: 'existing', deployment: existing };
    if (HELD_BY_LOCKS.has(plan.kind)) {
      const held = await this.humanLocks.refusalFor(
        plan.environment,
        plan.service,
        request.actor.id,
      );
      if (held) {
        await audit('rejected', { reason: held.message });
        throw held;
      }
    }
    if (request.confirmationId) await this.useConfirmation(request);

    // An apply applies exactly a plan someone reviewed: the latest one of the environment, if
    // nothing changed the state since and GitHub still keeps it.
    let reviewedPlan: ReviewedPlan | null = null;
    if (plan.kind === 'infra-apply') {
      try {
        reviewedPlan = await this.reviewedPlan(plan.environment);
      } catch (error) {
        const refusal = externalRefusal(error);
        await audit(refusal.outcome, { error: refusal.message });
        throw refusal;
      }
      plan = { ...plan, inputs: { ...plan.inputs, plan_run_id: reviewedPlan.runId } };
    }

    let fromVersion: string | null = null;
    let imageDigest: string | null = null;
    if (plan.executor === 'ssm') {
      let resolved;
      try {
        if (plan.promoteFrom) plan = { ...plan, ref: await this.promotedVersion(plan) };
        resolved = await this.fleetOf().resolve({
          kind: plan.kind as 'redeploy' | 'rollback',
          service: plan.service,
          environment: plan.environment,
          version: plan.ref,
          rollbackFrom: request.rollbackFrom ?? null,
          rollbackTo: request.rollbackTo ?? null,
        });
      } catch (error) {
        const refusal = externalRefusal(error);
        await audit(refusal.outcome, { error: refusal.message });
        throw refusal;
      }
      fromVersion = resolved.current?.value ?? null;
      imageDigest = resolved.digest;
      plan = {
        ...plan,
        ref: resolved.version,
        // Restarting what already runs needs no approval; a new version does where deploys do.
        approvalsRequired:
          resolved.version === resolved.current?.value ? 0 : plan.approvalsRequired,
      };
    }

    // A change freeze: a new version needs an approver other than the requester. Restoring (a
    // rollback, a restart of what runs) is never frozen.
    const freeze = this.freezeHolding(plan, fromVersion);
    if (freeze) plan = { ...plan, approvalsRequired: Math.max(plan.approvalsRequired, 1) };

    if (plan.checkRef) {
      let exists: boolean;
      try {
        exists = await this.githubOf().refExists(plan.ref);
      } catch (error) {
        const refusal = externalRefusal(error);
        await audit('failed', { error: refusal.message });
        throw refusal;
      }
      if (!exists) {
        const problem = `ref \`${plan.ref}\` does not exist in ${this.catalog.github.owner}/${this.catalog.github.repo}`;
        await audit('rejected', { problems: [problem] });
        throw new Refusal('not-possible', problem, [problem]);
      }
    }

    const change = await this.changes.describe({
      kind: plan.kind,
      service: plan.service,
      environment: plan.environment,
      target: plan.ref,
      ...(plan.executor === 'ssm' ? { current: fromVersion } : {}),
    });
    // What the approvers see is what is built: the deploy is pinned to the commit its ref
    // named now, whatever the branch holds by the time it is approved.
    if (plan.kind === 'deploy' && change?.target)
      plan = { ...plan, inputs: { ...plan.inputs, ref: change.target.sha } };
    // Going back, or over another deployment's bake window, is confirmed first.
    const older = BACKWARDS_CHECKED.has(plan.kind) && goesBackwards(change);
    const baking = BACKWARDS_CHECKED.has(plan.kind) ? await this.bakingThere(plan) : null;
    if (older || baking) {
      const running = change?.current?.version ?? null;
      if (!request.confirmationId)
        throw await this.askToGoBack(request, plan, change, running, { older, baking });
      const changed =
        (older && request.backwardsFrom !== running) ||
        (baking !== null && request.confirmedBake !== baking.deploymentId);
      if (changed) {
        const reason = `what runs on ${plan.environment} changed since you confirmed (now \`${running ?? 'nothing'}\`${baking ? `, ${baking.what} baking` : ''}): ask again`;
        await audit('rejected', { reason });
        throw new Refusal('conflict', reason);
      }
    }

    if (plan.approvalsRequired > 0) {
      // Tell the requester now rather than after an approver has spent their attention.
      const held = await this.repositories.locks.get(lockKeyOf(plan));
      if (held) {
        const refusal = await this.lockedRefusal(
          held.holderId,
          held.holderName,
          held.acquiredAt,
          plan,
        );
        await audit('rejected', { lockedBy: held.holderName });
        throw refusal;
      }
      const { deployment, created } = await this.repositories.deployments.create({
        ...this.newDeployment(request, plan, { fromVersion, imageDigest, freeze }),
        change,
        reviewedPlan,
        status: 'pending_approval',
        expiresAt: this.clock.now() + plan.approvalTimeoutMs,
      });
      // A copy of a request already recorded (a retry racing the original): the original
      // audits and announces it, once.
      if (!created) return { outcome: 'existing', deployment };
      await this.auditor.awaitingApproval(deployment, request.source ?? null);
      this.notifier.changed(deployment.id);
      return { outcome: 'pending_approval', deployment };
    }

    const refusal = await this.takeLease({
      ...plan,
      requestId: request.requestId,
      holderName: request.actor.name,
    });
    if (refusal) {
      await audit('rejected', { lockedBy: refusal.holderName });
      throw refusal.error;
    }
    let recorded: { deployment: Deployment; created: boolean };
    try {
      recorded = await this.repositories.deployments.create({
        ...this.newDeployment(request, plan, { fromVersion, imageDigest, freeze }),
        change,
        reviewedPlan,
        status: 'queued',
      });
    } catch (error) {
      await this.repositories.locks.release(lockKeyOf(plan), request.requestId);
      throw error;
    }
    if (!recorded.created) {
      // A copy of a request already recorded: only the caller that recorded it dispatches. The
      // lease is keyed by the request id, so it is the original's; a copy that took it anew
      // after the original had ended gives it back.
      if (isTerminal(recorded.deployment.status))
        await this.repositories.locks.release(lockKeyOf(plan), request.requestId);
      return { outcome: 'existing', deployment: recorded.deployment };
    }
    return {
      outcome: 'dispatched',
      deployment: await this.dispatch(recorded.deployment, request.actor),
    };
  }

  /** Recent deployments, newest first. */
  /**
   * A rollback confirmed by pressing its button: the service, environment and the version the
   * member saw as current come from the confirmation, not from the press.
   */
  private async withConfirmation(request: DeploymentRequest): Promise<DeploymentRequest> {
    if (!request.confirmationId) return request;
    const confirmation = /^[0-9a-f-]{36}$/.test(request.confirmationId)
      ? await this.repositories.confirmations.get(request.confirmationId)
      : null;
    const backwards =
      confirmation?.kind === BACKWARDS_CONFIRMATION &&
      confirmation.payload['kind'] === request.kind;
    if (!confirmation || (confirmation.kind !== request.kind && !backwards)) {
      const reason = `no such confirmation: run /${request.kind} again`;
      await this.auditor.refused(request, 'rejected', { reason });
      throw new Refusal('not-found', reason);
    }
    if (backwards) {
      const p = confirmation.payload as unknown as BackwardsPayload;
      await this.checkConfirmedScope(request, p.service, p.environment);
      // The target and the version the member saw running come from what they confirmed.
      return {
        ...request,
        service: p.service,
        environment: p.environment,
        ref: p.ref ?? null,
        // A confirmed promotion puts on what ran where it came from when the member confirmed.
        version: p.version ?? null,
        promoteFrom: null,
        promotedFrom: p.promoteFrom ?? null,
        backwardsFrom: p.from,
        confirmedBake: p.bakingOf ?? null,
      };
    }
    const { service, environment, from, to } = confirmation.payload as {
      service: string;
      environment: string;
      from: number;
      to?: string;
    };
    await this.checkConfirmedScope(request, service, environment);
    // What runs is what the member confirmed: from the version they saw, to the one shown.
    return { ...request, service, environment, rollbackFrom: from, rollbackTo: to ?? null };
  }

  /**
   * The plan an `/infra apply` applies: the environment's latest successful `/infra plan`, refused
   * with the reason when there is none, when an apply or destroy changed the state after it,
   * or when GitHub no longer keeps it (Terraform would refuse a stale plan too).
   */
  private async reviewedPlan(environment: string): Promise<ReviewedPlan> {
    const recent = await this.repositories.deployments.listRecent({
      service: 'infra',
      environment,
      limit: 100,
    });
    const planned = recent.find(
      (d) => d.kind === 'infra-plan' && d.status === 'succeeded' && d.outputs?.plan && d.runId,
    );
    if (!planned?.outputs?.plan || !planned.runId)
      throw new Refusal(
        'conflict',
        `there is no plan of ${environment} to apply: run \`/infra plan ${environment}\`, read it, then apply`,
      );
    const plannedAt = planned.finishedAt ?? planned.updatedAt;
    const when = (ms: number) => `<t:${Math.floor(ms / 1000)}:R>`;
    const changed = recent.find(
      (d) =>
        (d.kind === 'infra-apply' || d.kind === 'infra-destroy') &&
        d.status === 'succeeded' &&
        (d.finishedAt ?? 0) > plannedAt,
    );
    if (changed)
      throw new Refusal(
        'conflict',
        `the plan of ${environment} from ${when(plannedAt)} is stale: ${changed.requestedBy.name}'s terraform ${changed.kind.slice('infra-'.length)} ${when(changed.finishedAt ?? 0)} changed the state since; run \`/infra plan ${environment}\` again`,
      );
    const artifacts = await this.githubOf().listRunArtifacts(planned.runId);
    const kept = artifacts.find((a) => a.name === `tfplan-${environment}`);
    if (!kept || kept.expired)
      throw new Refusal(
        'conflict',
        `the plan of ${environment} from ${when(plannedAt)} is no longer kept by GitHub (run ${planned.runId}); run \`/infra plan ${environment}\` again`,
      );
    return {
      deploymentId: planned.id,
      runId: planned.runId,
      runUrl: planned.runUrl,
      plannedAt,
      plannedBy: planned.requestedBy.name,
      summary: planned.outputs.plan,
    };
  }

  /** What runs where a promotion comes from: the version it puts on its environment. */
  private async promotedVersion(plan: DeploymentPlan): Promise<string> {
    const from = plan.promoteFrom as string;
    const running = await this.fleetOf().currentVersion(plan.service, from);
    if (!running)
      throw new Refusal(
        'not-possible',
        `nothing of ${plan.service} runs on ${from} yet: there is nothing to promote`,
      );
    return running.value;
  }

  /** A request that names a service or environment must name the confirmed ones. */
  private async checkConfirmedScope(
    request: DeploymentRequest,
    service: string,
    environment: string,
  ): Promise<void> {
    if (
      (request.service && request.service !== service) ||
      (request.environment && request.environment !== environment)
    ) {
      const reason = `the confirmation is for ${service} on ${environment}`;
      await this.auditor.refused(request, 'rejected', { reason });
      throw new Refusal('invalid', reason, [reason]);
    }
  }

  /**
   * A target that is an ancestor of what runs holds nothing new and drops commits: the member
   * confirms it first (once, theirs only), against the version they saw running.
   */
  private async askToGoBack(
    request: DeploymentRequest,
    plan: DeploymentPlan,
    change: DeploymentChange | null,
    running: string | null,
    why: { older: boolean; baking: BakingDeployment | null },
  ): Promise<Refusal> {
    const payload: BackwardsPayload = {
      kind: plan.kind as 'deploy' | 'redeploy',
      service: plan.service,
      environment: plan.environment,
      ...(plan.kind === 'deploy' ? { ref: plan.ref } : { version: plan.ref }),
      ...(plan.promoteFrom ? { promoteFrom: plan.promoteFrom } : {}),
      from: running,
      bakingOf: why.baking?.deploymentId ?? null,
    };
    const confirmation = await this.repositories.confirmations.create({
      kind: BACKWARDS_CONFIRMATION,
      memberId: request.actor.id,
      payload: { ...payload },
      ttlMs: BACKWARDS_CONFIRMATION_TTL_MS,
    });
    await this.repositories.audit.append({
      actor: request.actor,
      action: `${plan.kind}.backwards`,
      outcome: 'requested',
      service: plan.service,
      environment: plan.environment,
      source: request.source ?? null,
      detail: {
        requestId: request.requestId,
        confirmationId: confirmation.id,
        target: change?.target?.sha ?? plan.ref,
        running,
        behindBy: change?.compare?.behindBy ?? null,
      },
    });
    const asked: BackwardsConfirmation = {
      id: confirmation.id,
      expiresAt: confirmation.expiresAt,
      kind: payload.kind,
      service: plan.service,
      environment: plan.environment,
      target: plan.ref,
      promoteFrom: plan.promoteFrom,
      change,
      older: why.older,
      baking: why.baking,
    };
    const reasons = [
      ...(why.older
        ? [`\`${plan.ref}\` is older than what runs on ${plan.environment} (\`${running ?? '?'}\`)`]
        : []),
      ...(why.baking
        ? [
            `${why.baking.what} is in its bake window until <t:${Math.floor(why.baking.endsAt / 1000)}:t>`,
          ]
        : []),
    ];
    return new Refusal(
      'needs-confirmation',
      `${reasons.join('; ')}: confirm to ${why.baking ? 'go ahead' : 'go back'}`,
      [],
      {
        confirmation: asked,
      },
    );
  }

  /** Another deployment of the service there still in its bake window (null: none). */
  private async bakingThere(plan: DeploymentPlan): Promise<BakingDeployment | null> {
    const open = await this.repositories.bakes.listOpen();
    const bake = open.find(
      (b) =>
        b.status === 'baking' && b.service === plan.service && b.environment === plan.environment,
    );
    if (!bake) return null;
    const deployment = await this.repositories.deployments.get(bake.deploymentId);
    if (!deployment) return null;
    return {
      deploymentId: deployment.id,
      what: describeRequest(deployment),
      by: deployment.requestedBy.name,
      endsAt: bake.endsAt,
    };
  }

  /** Uses the confirmation, once: a second press, someone else's, or a late one is refused. */
  private async useConfirmation(request: DeploymentRequest): Promise<void> {
    const use = await this.repositories.confirmations.use(
      request.confirmationId as string,
      request.actor.id,
      'confirm',
      request.requestId,
    );
    if (use.used) return;
    const refusal = confirmationRefusal(use.reason, use.confirmation?.decision ?? null);
    await this.auditor.refused(request, 'rejected', { reason: refusal.message });
    throw refusal;
  }

  async list(filter: {
    service?: string;
    environment?: string;
    limit?: number;
  }): Promise<Deployment[]> {
    // An unknown name is a mistake to point out, not a filter that matches nothing.
    const problems = [
      ...(filter.service && !this.catalog.services.some((s) => s.name === filter.service)
        ? [
            `unknown service \`${filter.service}\` (services: ${this.catalog.services.map((s) => s.name).join(', ')})`,
          ]
        : []),
      ...(filter.environment &&
      !this.catalog.environments.some((e) => e.name === filter.environment)
        ? [
            `unknown environment \`${filter.environment}\` (environments: ${this.catalog.environments.map((e) => e.name).join(', ')})`,
          ]
        : []),
    ];
    if (problems.length) throw new Refusal('invalid', problems.join('; '), problems);
    return this.repositories.deployments.listRecent(filter);
  }

  /** The freeze in force that holds this request for an approver, in words, or null. */
  private freezeHolding(plan: DeploymentPlan, fromVersion: string | null): string | null {
    const newVersion =
      plan.kind === 'deploy' || (plan.kind === 'redeploy' && plan.ref !== fromVersion);
    if (!newVersion) return null;
    const freezes = findEnvironment(this.catalog, plan.environment)?.freezes ?? [];
    const freeze = activeFreeze(freezes, this.clock.now());
    return freeze ? describeFreeze(freeze) : null;
  }

  protected newDeployment(
    request: DeploymentRequest,
    plan: DeploymentPlan,
    {
      fromVersion,
      imageDigest,
      freeze,
    }: { fromVersion: string | null; imageDigest: string | null; freeze: string | null },
  ) {
    return {
      freeze,
      imageDigest,
      // Dispatch sends what was planned (and approved), not what the catalog says later.
      inputs: plan.executor === 'github' ? plan.inputs : null,
      fromVersion,
      requestId: request.requestId,
      kind: plan.kind,
      service: plan.service,
      environment: plan.environment,
      ref: plan.ref,
      version: plan.executor === 'ssm' ? plan.ref : null,
      requestedBy: request.actor,
      channelId: request.channelId ?? null,
      promotedFrom: plan.promoteFrom ?? request.promotedFrom ?? null,
      workflow: plan.workflow,
      approvalsRequired: plan.approvalsRequired,
    };
  }
}

/** Why a confirmation cannot be used, for the member. */
export function confirmationRefusal(
  reason: 'unknown' | 'not-yours' | 'expired' | 'used',
  decision: string | null,
): Refusal {
  switch (reason) {
    case 'not-yours':
      return new Refusal('denied', 'only the member who asked can answer this confirmation');
    case 'expired':
      return new Refusal('expired', 'this confirmation has expired: run /rollback again');
    case 'used':
      return new Refusal(
        'conflict',
        `this confirmation was already answered (${decision === 'keep' ? 'kept' : 'rolled back'}): run /rollback again`,
      );
    default:
      return new Refusal('not-found', 'no such confirmation: run /rollback again');
  }
}
