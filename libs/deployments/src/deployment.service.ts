import { AwsError } from '@chatops/aws-fleet';
import { Catalog, hasPermission, isFleetKind, isTerminal, MemberRoles } from '@chatops/domain';
import { GithubError, GithubRepository } from '@chatops/github';
import type { Deployment, Repositories } from '@chatops/persistence';
import { StaleDeploymentError } from '@chatops/persistence';
import { DeploymentPlan, DeploymentRequest, planRequest } from './deployment-request';
import { DeploymentAuditor, SYSTEM_ACTOR } from './deployment-auditor';
import { DeploymentTracker, lockKeyOf } from './deployment-tracker';
import { DeploymentExecutor, GithubWorkflowExecutor, RunHandle } from './executor';
import { FleetExecutor, FleetRefusal } from './fleet-executor';
import type { DeploymentNotifier } from './notifier';

export type RefusalReason =
  | 'invalid'
  | 'denied'
  | 'locked'
  | 'not-found'
  | 'conflict'
  | 'expired'
  | 'github'
  | 'aws'
  | 'alertmanager'
  | 'not-configured';

/** A request the platform will not carry out, with a message for the user and an HTTP status. */
export class DeploymentRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly status: number,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'DeploymentRefusal';
  }
}

export interface Actor {
  actor: { id: string; name: string };
  roles: MemberRoles;
  source?: string | null;
}

export type RequestOutcome =
  | { outcome: 'dispatched'; deployment: Deployment }
  | { outcome: 'pending_approval'; deployment: Deployment }
  | { outcome: 'existing'; deployment: Deployment };

export type ApprovalOutcome =
  | { outcome: 'dispatched'; deployment: Deployment }
  | { outcome: 'approved'; deployment: Deployment; remaining: number }
  /** A copy of an approval already recorded (a retry, a second press): nothing happens again. */
  | { outcome: 'existing'; deployment: Deployment };

export type CancelOutcome = {
  outcome: 'cancelled' | 'cancelling' | 'already_ended';
  deployment: Deployment;
};

export interface DeploymentServiceOptions {
  /** Lease on (environment, service) while a run is in flight; renewed as it progresses. */
  lockTtlMs?: number;
  /** The hosts, for `/redeploy` and `/rollback` (null: they answer 503). */
  fleet?: FleetExecutor | null;
  /** Records a run's end that a cancel finds GitHub had already reached. */
  tracker?: DeploymentTracker | null;
  /** Runs workflow kinds (default: GitHub Actions through the repository given). */
  workflows?: DeploymentExecutor | null;
}

type Repos = Pick<Repositories, 'deployments' | 'locks' | 'audit' | 'approvals'>;

/**
 * The rules of `/deploy`, `/redeploy`, `/rollback`, `/infra` and `/ami`: validate against the
 * catalog, check permissions (again: the bot checked for fast feedback), gate behind approvals,
 * serialise per (environment, service) with a database lease, then dispatch the workflow (GitHub)
 * or send the redeploy document to the hosts (SSM), recording every step. Nothing is started
 * unless every check passed; a failure releases the lease.
 */
export class DeploymentService {
  private readonly lockTtlMs: number;
  private readonly fleet: FleetExecutor | null;
  private readonly tracker: DeploymentTracker | null;
  private readonly auditor: DeploymentAuditor;
  private readonly workflows: DeploymentExecutor | null;

  constructor(
    private readonly catalog: Catalog,
    private readonly repositories: Repos,
    /** Null when no GitHub credentials are configured: workflow requests answer 503. */
    private readonly github: GithubRepository | null,
    private readonly notifier: DeploymentNotifier,
    options: DeploymentServiceOptions = {},
  ) {
    this.lockTtlMs = options.lockTtlMs ?? 30 * 60_000;
    this.fleet = options.fleet ?? null;
    this.tracker = options.tracker ?? null;
    this.auditor = new DeploymentAuditor(repositories);
    this.workflows = options.workflows ?? (github ? new GithubWorkflowExecutor(github) : null);
  }

  async request(request: DeploymentRequest): Promise<RequestOutcome> {
    const audit = (outcome: 'rejected' | 'denied' | 'failed', detail: Record<string, unknown>) =>
      this.auditor.refused(request, outcome, detail);

    const planned = planRequest(this.catalog, request);
    let plan = planned.plan;
    const problems = planned.problems;
    if (!plan) {
      await audit('rejected', { problems });
      throw new DeploymentRefusal('invalid', problems.join('; '), 400, problems);
    }
    if (
      !hasPermission(this.catalog.roles, request.roles, plan.permission, plan.permissionEnvironment)
    ) {
      await audit('denied', { permission: plan.permission });
      throw new DeploymentRefusal(
        'denied',
        `you need the \`${plan.permission}\` permission${plan.permissionEnvironment ? ` on \`${plan.permissionEnvironment}\`` : ''}`,
        403,
      );
    }
    const existing = await this.repositories.deployments.findByRequestId(request.requestId);
    if (existing) return { outcome: 'existing', deployment: existing };

    let fromVersion: string | null = null;
    if (plan.executor === 'ssm') {
      let resolved;
      try {
        resolved = await this.fleetOf().resolve({
          kind: plan.kind as 'redeploy' | 'rollback',
          service: plan.service,
          environment: plan.environment,
          version: plan.ref,
          rollbackFrom: request.rollbackFrom ?? null,
        });
      } catch (error) {
        const refusal = externalRefusal(error);
        await audit(refusal.status < 500 ? 'rejected' : 'failed', { error: refusal.message });
        throw refusal;
      }
      fromVersion = resolved.current?.value ?? null;
      plan = {
        ...plan,
        ref: resolved.version,
        // Restarting what already runs needs no approval; a new version does where deploys do.
        approvalsRequired:
          resolved.version === resolved.current?.value ? 0 : plan.approvalsRequired,
      };
    }

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
        throw new DeploymentRefusal('invalid', problem, 422, [problem]);
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
        ...this.newDeployment(request, plan, fromVersion),
        status: 'pending_approval',
        expiresAt: Date.now() + plan.approvalTimeoutMs,
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
        ...this.newDeployment(request, plan, fromVersion),
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

  async approve(id: string, who: Actor): Promise<ApprovalOutcome> {
    const copy = await this.approvalCopy(id, who);
    if (copy) return copy;
    const deployment = await this.pending(id, who, 'approve');
    if (deployment.requestedBy.id === who.actor.id) {
      await this.auditDecision(deployment, who, 'approve', 'denied', { reason: 'self-approval' });
      throw new DeploymentRefusal(
        'denied',
        'you cannot approve your own request: another approver has to',
        403,
      );
    }
    if (!(await this.repositories.approvals.record(deployment.id, who.actor)))
      return { outcome: 'existing', deployment: await this.find(deployment.id) };
    await this.auditDecision(deployment, who, 'approve', 'succeeded');
    const approvals = await this.repositories.approvals.list(deployment.id);
    const remaining = deployment.approvalsRequired - approvals.length;
    if (remaining > 0) {
      this.notifier.changed(deployment.id);
      return { outcome: 'approved', deployment, remaining };
    }

    let queued: Deployment;
    try {
      queued = await this.repositories.deployments.transition(
        deployment.id,
        'queued',
        { approvedById: who.actor.id },
        'pending_approval',
      );
    } catch (error) {
      if (!(error instanceof StaleDeploymentError)) throw error;
      // Another approval released it at the same moment: this one counted all the same.
      const now = await this.find(deployment.id);
      if (now.status === 'queued' || now.status === 'dispatched' || now.status === 'running')
        return { outcome: 'approved', deployment: now, remaining: 0 };
      throw new DeploymentRefusal('conflict', 'this request was decided meanwhile', 409);
    }
    const refusal = await this.takeLease({ ...queued, holderName: queued.requestedBy.name });
    if (refusal) {
      await this.end(queued, 'failed', refusal.error.message);
      throw refusal.error;
    }
    // The request is still the requester's; the approver who released it is named beside them.
    return {
      outcome: 'dispatched',
      deployment: await this.dispatch(queued, queued.requestedBy, who.actor),
    };
  }

  async reject(id: string, who: Actor): Promise<Deployment> {
    const deployment = await this.pending(id, who, 'reject');
    try {
      const rejected = await this.repositories.deployments.transition(
        deployment.id,
        'rejected',
        { error: `rejected by ${who.actor.name}` },
        'pending_approval',
      );
      await this.auditDecision(deployment, who, 'reject', 'succeeded');
      this.notifier.changed(deployment.id);
      return rejected;
    } catch (error) {
      if (error instanceof StaleDeploymentError)
        throw new DeploymentRefusal('conflict', 'this request was decided meanwhile', 409);
      throw error;
    }
  }

  /**
   * Cancels a request before it runs, or asks GitHub (or SSM) to cancel its run; the run's end,
   * from a webhook or a poll, then finishes the deployment, audited as cancelled by whoever
   * asked, and releases the lease. One cancel per deployment: copies of it (a retry, a second
   * press, another replica) get the same answer and reach nothing.
   */
  async cancel(id: string, who: Actor): Promise<CancelOutcome> {
    const deployment = await this.findFor(id, who, 'cancel');
    if (!hasPermission(this.catalog.roles, who.roles, 'cancel', deployment.environment)) {
      await this.auditDecision(deployment, who, 'cancel', 'denied');
      throw new DeploymentRefusal(
        'denied',
        `you need the \`cancel\` permission on \`${deployment.environment}\``,
        403,
      );
    }
    if (
      isTerminal(deployment.status) ||
      !(await this.repositories.deployments.claimCancel(deployment.id, who.actor))
    )
      return this.cancelCopyOrRefusal(await this.find(deployment.id), who);

    let current = await this.find(deployment.id);
    if (!current.runId && (current.status === 'pending_approval' || current.status === 'queued')) {
      try {
        const cancelled = await this.repositories.deployments.transition(
          current.id,
          'cancelled',
          { error: `cancelled by ${who.actor.name}` },
          current.status,
        );
        await this.repositories.locks.release(lockKeyOf(current), current.requestId);
        await this.auditor.cancelled(cancelled, who.actor, who.source ?? null);
        this.notifier.changed(current.id);
        return { outcome: 'cancelled', deployment: cancelled };
      } catch (error) {
        if (!(error instanceof StaleDeploymentError)) throw error;
        // It was dispatched (or ended) meanwhile: cancel the run it now has.
        current = await this.find(current.id);
        if (isTerminal(current.status)) return { outcome: 'already_ended', deployment: current };
      }
    }
    if (!current.runId) {
      // Between its lease and its dispatch: the dispatch or the reconciler records the run, and
      // the cancel request recorded above ends it once it is known.
      await this.auditDecision(current, who, 'cancel', 'requested');
      return { outcome: 'cancelling', deployment: current };
    }
    try {
      await this.executorOf(current).cancel(current.runId);
    } catch (error) {
      const ended = await this.endedMeanwhile(current, error);
      if (ended) {
        await this.auditDecision(current, who, 'cancel', 'rejected', {
          reason: `the run had already ended (${ended.status})`,
          runId: current.runId,
        });
        return { outcome: 'already_ended', deployment: ended };
      }
      await this.repositories.deployments.clearCancel(current.id, who.actor);
      const refusal = externalRefusal(error);
      await this.auditDecision(current, who, 'cancel', 'failed', { error: refusal.message });
      throw refusal;
    }
    await this.auditDecision(current, who, 'cancel', 'requested', { runId: current.runId });
    return { outcome: 'cancelling', deployment: current };
  }

  /** A cancel that found one already asked for, or the deployment ended. */
  private async cancelCopyOrRefusal(deployment: Deployment, who: Actor): Promise<CancelOutcome> {
    const asker = deployment.cancelRequestedBy;
    if (asker?.id === who.actor.id)
      return {
        outcome: !isTerminal(deployment.status)
          ? 'cancelling'
          : deployment.status === 'cancelled'
            ? 'cancelled'
            : 'already_ended',
        deployment,
      };
    const reason = isTerminal(deployment.status)
      ? `it has already ended (${deployment.status}${asker && deployment.status === 'cancelled' ? ` by ${asker.name}` : ''})`
      : `${asker?.name ?? 'someone'} already asked to cancel it <t:${Math.floor((asker?.at ?? Date.now()) / 1000)}:R>`;
    await this.auditDecision(deployment, who, 'cancel', 'rejected', { reason });
    throw new DeploymentRefusal('conflict', reason, 409);
  }

  /** The same approver approving again: the answer they had, with nothing recorded twice. */
  private async approvalCopy(id: string, who: Actor): Promise<ApprovalOutcome | null> {
    const deployment = await this.findFor(id, who, 'approve');
    const approvals = await this.repositories.approvals.list(deployment.id);
    return approvals.some((a) => a.approver.id === who.actor.id)
      ? { outcome: 'existing', deployment }
      : null;
  }

  /**
   * GitHub refuses to cancel a run that has completed (409) — an end whose webhook we have not
   * seen. Reads the run and records its end (which releases the lease); null when that is not it.
   */
  private async endedMeanwhile(deployment: Deployment, error: unknown): Promise<Deployment | null> {
    if (!(error instanceof GithubError) || error.status !== 409 || !this.tracker) return null;
    await this.tracker.applyRunSnapshot(await this.githubOf().getRun(deployment.runId as string));
    const now = await this.find(deployment.id);
    return isTerminal(now.status) ? now : null;
  }

  /** Ends approval requests nobody decided in time (run periodically). */
  async expireApprovals(): Promise<number> {
    let expired = 0;
    for (const deployment of await this.repositories.deployments.listExpiredApprovals()) {
      try {
        await this.repositories.deployments.transition(
          deployment.id,
          'expired',
          {},
          'pending_approval',
        );
      } catch (error) {
        if (error instanceof StaleDeploymentError) continue;
        throw error;
      }
      expired++;
      await this.auditor.ended({ ...deployment, status: 'expired' }, 'expired', SYSTEM_ACTOR);
      this.notifier.changed(deployment.id);
    }
    return expired;
  }

  /** Recent deployments, newest first. */
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
    if (problems.length) throw new DeploymentRefusal('invalid', problems.join('; '), 400, problems);
    return this.repositories.deployments.listRecent(filter);
  }

  async find(id: string): Promise<Deployment> {
    const deployment = /^[0-9a-f-]{36}$/.test(id)
      ? await this.repositories.deployments.get(id)
      : null;
    if (!deployment) throw new DeploymentRefusal('not-found', 'no such deployment', 404);
    return deployment;
  }

  // ---- internals ----

  private async dispatch(
    deployment: Deployment,
    actor: { id: string; name: string },
    approvedBy?: { id: string; name: string },
  ): Promise<Deployment> {
    let run: RunHandle;
    try {
      run = await this.executorOf(deployment).start(this.withPlan(deployment, actor));
    } catch (error) {
      const refusal = externalRefusal(error);
      await this.end(deployment, 'failed', refusal.message);
      throw refusal;
    }
    let dispatched: Deployment;
    try {
      dispatched = await this.repositories.deployments.transition(
        deployment.id,
        'dispatched',
        { runId: run.runId, runUrl: run.runUrl },
        'queued',
      );
    } catch (error) {
      // A webhook found the run by its run-name first and moved the deployment on.
      if (!(error instanceof StaleDeploymentError)) throw error;
      dispatched = await this.find(deployment.id);
    }
    await this.auditor.dispatched(dispatched, run, approvedBy);
    this.notifier.changed(deployment.id);
    return dispatched;
  }

  /** A workflow deployment recorded before plans were stored, with its plan made again. */
  private withPlan(deployment: Deployment, actor: { id: string; name: string }): Deployment {
    if (isFleetKind(deployment.kind) || deployment.inputs) return deployment;
    const plan = this.replan(deployment, actor);
    return { ...deployment, workflow: plan.workflow, inputs: plan.inputs };
  }

  /** Who carries this deployment out: SSM for the fleet kinds, GitHub for the workflows. */
  private executorOf(deployment: Pick<Deployment, 'kind'>): DeploymentExecutor {
    if (isFleetKind(deployment.kind)) return this.fleetOf();
    if (!this.workflows) throw githubNotConfigured();
    return this.workflows;
  }

  /** A deployment recorded before plans were stored: planned again from the catalog. */
  private replan(deployment: Deployment, actor: { id: string; name: string }): DeploymentPlan {
    const plan = planRequest(this.catalog, {
      requestId: deployment.requestId,
      kind: deployment.kind,
      service: deployment.service,
      environment: deployment.environment,
      ref: deployment.ref,
      confirmation: deployment.environment,
      actor,
      roles: { ids: [] },
    }).plan;
    if (!plan) throw new Error(`deployment ${deployment.id} no longer matches the catalog`);
    return plan;
  }

  private githubOf(): GithubRepository {
    if (!this.github) throw githubNotConfigured();
    return this.github;
  }

  private fleetOf(): FleetExecutor {
    if (!this.fleet)
      throw new DeploymentRefusal(
        'not-configured',
        'the AWS fleet is not configured: set AWS_REGION (and credentials, or an instance role)',
        503,
      );
    return this.fleet;
  }

  /** A deployment that will not run: its end recorded, its lease released, everyone told. */
  private async end(deployment: Deployment, status: 'failed', error: string): Promise<void> {
    await this.repositories.deployments
      .transition(deployment.id, status, { error }, deployment.status)
      .catch((e: unknown) => {
        if (!(e instanceof StaleDeploymentError)) throw e;
      });
    await this.repositories.locks.release(lockKeyOf(deployment), deployment.requestId);
    await this.auditor.ended({ ...deployment, status, error }, status, SYSTEM_ACTOR);
    this.notifier.changed(deployment.id);
  }

  private async pending(
    id: string,
    who: Actor,
    decision: 'approve' | 'reject',
  ): Promise<Deployment> {
    const deployment = await this.findFor(id, who, decision);
    if (!hasPermission(this.catalog.roles, who.roles, 'approve', deployment.environment)) {
      await this.auditDecision(deployment, who, decision, 'denied');
      throw new DeploymentRefusal(
        'denied',
        `you need the \`approve\` permission on \`${deployment.environment}\``,
        403,
      );
    }
    const expired =
      deployment.status === 'expired' ||
      (deployment.status === 'pending_approval' &&
        deployment.expiresAt !== null &&
        deployment.expiresAt <= Date.now());
    if (expired) {
      if (deployment.status === 'pending_approval') await this.expireApprovals();
      await this.auditDecision(deployment, who, decision, 'rejected', {
        reason: 'the approval request had expired',
      });
      throw new DeploymentRefusal(
        'expired',
        'this approval request has expired; ask for a new deploy',
        410,
      );
    }
    if (deployment.status !== 'pending_approval') {
      const reason = `this request is no longer awaiting approval (${deployment.status})`;
      await this.auditDecision(deployment, who, decision, 'rejected', { reason });
      throw new DeploymentRefusal('conflict', reason, 409);
    }
    return deployment;
  }

  /** The deployment a decision is about; an unknown id (a forged button) is audited. */
  private async findFor(
    id: string,
    who: Actor,
    decision: 'approve' | 'reject' | 'cancel',
  ): Promise<Deployment> {
    try {
      return await this.find(id);
    } catch (error) {
      if (error instanceof DeploymentRefusal && error.reason === 'not-found')
        await this.auditor.unknownDeployment(id, who, decision);
      throw error;
    }
  }

  private newDeployment(
    request: DeploymentRequest,
    plan: DeploymentPlan,
    fromVersion: string | null,
  ) {
    return {
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
      workflow: plan.workflow,
      approvalsRequired: plan.approvalsRequired,
    };
  }

  /** The lease for a request, or why it cannot have it. */
  private async takeLease(request: {
    environment: string;
    service: string;
    kind: string;
    requestId: string;
    holderName: string;
  }): Promise<{ error: DeploymentRefusal; holderName: string } | null> {
    const acquired = await this.repositories.locks.acquire({
      ...lockKeyOf(request),
      holderId: request.requestId,
      holderName: request.holderName,
      reason: request.kind,
      ttlMs: this.lockTtlMs,
    });
    if (acquired.acquired) return null;
    const { holderId, holderName, acquiredAt } = acquired.heldBy;
    return {
      error: await this.lockedRefusal(holderId, holderName, acquiredAt, request),
      holderName,
    };
  }

  private async lockedRefusal(
    holderRequestId: string,
    holderName: string,
    since: number,
    key: { environment: string; service: string },
  ): Promise<DeploymentRefusal> {
    const holder = await this.repositories.deployments.findByRequestId(holderRequestId);
    const link = holder?.runUrl ? ` (run: ${holder.runUrl})` : '';
    return new DeploymentRefusal(
      'locked',
      `${key.service} on ${key.environment} is locked by ${holderName}'s ${holder?.kind ?? 'deploy'} since <t:${Math.floor(since / 1000)}:R>${link}; wait for it to finish or cancel it`,
      409,
    );
  }

  private auditDecision(
    deployment: Deployment,
    who: Actor,
    decision: 'approve' | 'reject' | 'cancel',
    outcome: 'succeeded' | 'denied' | 'failed' | 'requested' | 'rejected',
    detail: Record<string, unknown> = {},
  ) {
    return this.auditor.decision(deployment, who, decision, outcome, detail);
  }
}

function githubNotConfigured(): DeploymentRefusal {
  return new DeploymentRefusal(
    'not-configured',
    'GitHub is not configured: set GITHUB_TOKEN or the GITHUB_APP_* variables',
    503,
  );
}

/** GitHub's and AWS's failures as refusals a user can read; anything else is a bug and rethrown. */
export function externalRefusal(error: unknown): DeploymentRefusal {
  if (error instanceof DeploymentRefusal) return error;
  if (error instanceof GithubError)
    return new DeploymentRefusal('github', error.message, error.kind === 'timeout' ? 504 : 502);
  if (error instanceof FleetRefusal)
    return new DeploymentRefusal(
      error.status === 409 ? 'conflict' : error.status === 503 ? 'aws' : 'invalid',
      error.message,
      error.status,
    );
  if (error instanceof AwsError)
    return new DeploymentRefusal('aws', error.message, error.kind === 'throttled' ? 503 : 502);
  throw error;
}
