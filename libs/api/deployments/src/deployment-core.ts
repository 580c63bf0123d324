import { AwsError } from '@chatops/aws-fleet';
import {
  Actor,
  Catalog,
  Clock,
  isFleetKind,
  isTerminal,
  Refusal,
  systemClock,
} from '@chatops/domain';
import { GithubError, GithubRepository } from '@chatops/github';
import type { Deployment, Repositories } from '@chatops/persistence';
import { StaleDeploymentError } from '@chatops/persistence';
import { ChangeDescriber } from './change-describer';
import { DeploymentPlan, planRequest } from './deployment-request';
import { DeploymentAuditor, SYSTEM_ACTOR } from './deployment-auditor';
import { DeploymentTracker, lockKeyOf } from './deployment-tracker';
import { DeploymentExecutor, GithubWorkflowExecutor, RunHandle } from './executor';
import { FleetExecutor } from './fleet-executor';
import { HumanLocks } from './human-locks';
import type { DeploymentNotifier } from './notifier';

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
  /** What time it is, for change freezes (tests pass a controllable one). */
  clock?: Clock;
}

export type DeploymentRepos = Pick<
  Repositories,
  'deployments' | 'locks' | 'audit' | 'approvals' | 'confirmations' | 'humanLocks' | 'bakes'
>;

/**
 * What the request, decision and expiry units share: their dependencies, the one way a
 * deployment is dispatched (through its executor, from its stored plan) or ended before it
 * ran, the lease, and the audit of decisions. Each unit extends it.
 */
export abstract class DeploymentCore {
  protected readonly lockTtlMs: number;
  protected readonly fleet: FleetExecutor | null;
  protected readonly tracker: DeploymentTracker | null;
  protected readonly auditor: DeploymentAuditor;
  protected readonly workflows: DeploymentExecutor | null;
  /** Locks people placed (`/lock`): checked by every deploy, redeploy and rollback. */
  protected readonly humanLocks: HumanLocks;
  protected readonly clock: Clock;
  /** What a deploy kind changes, told to requester and approvers. */
  protected readonly changes: ChangeDescriber;

  constructor(
    protected readonly catalog: Catalog,
    protected readonly repositories: DeploymentRepos,
    /** Null when no GitHub credentials are configured: workflow requests answer 503. */
    protected readonly github: GithubRepository | null,
    protected readonly notifier: DeploymentNotifier,
    protected readonly options: DeploymentServiceOptions = {},
  ) {
    this.lockTtlMs = options.lockTtlMs ?? 30 * 60_000;
    this.clock = options.clock ?? systemClock;
    this.fleet = options.fleet ?? null;
    this.tracker = options.tracker ?? null;
    this.auditor = new DeploymentAuditor(repositories);
    this.humanLocks = new HumanLocks(catalog, repositories);
    this.workflows = options.workflows ?? (github ? new GithubWorkflowExecutor(github) : null);
    this.changes = new ChangeDescriber(github, this.fleet, repositories);
  }

  async find(id: string): Promise<Deployment> {
    const deployment = /^[0-9a-f-]{36}$/.test(id)
      ? await this.repositories.deployments.get(id)
      : null;
    if (!deployment) throw new Refusal('not-found', 'no such deployment');
    return deployment;
  }

  /** The deployment a decision is about; an unknown id (a forged button) is audited. */
  protected async findFor(
    id: string,
    who: Actor,
    decision: 'approve' | 'reject' | 'cancel',
  ): Promise<Deployment> {
    try {
      return await this.find(id);
    } catch (error) {
      if (error instanceof Refusal && error.reason === 'not-found')
        await this.auditor.unknownDeployment(id, who, decision);
      throw error;
    }
  }

  protected async dispatch(
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
    await this.cancelIfAsked(dispatched);
    return dispatched;
  }

  /**
   * A cancel asked for while the run was being started: carried out now that the run is
   * known, in the name of whoever asked (their request is audited as theirs).
   */
  protected async cancelIfAsked(deployment: Deployment): Promise<void> {
    const asker = deployment.cancelRequestedBy;
    if (!asker || !deployment.runId || isTerminal(deployment.status)) return;
    const who = { actor: { id: asker.id, name: asker.name }, roles: { ids: [] } };
    try {
      await this.executorOf(deployment).cancel(deployment.runId);
      await this.auditDecision(deployment, who, 'cancel', 'requested', { runId: deployment.runId });
    } catch (error) {
      await this.auditDecision(deployment, who, 'cancel', 'failed', {
        error: (error as Error).message,
      });
    }
  }

  /** A workflow deployment recorded before plans were stored, with its plan made again. */
  protected withPlan(deployment: Deployment, actor: { id: string; name: string }): Deployment {
    if (isFleetKind(deployment.kind) || deployment.inputs) return deployment;
    const plan = this.replan(deployment, actor);
    return { ...deployment, workflow: plan.workflow, inputs: plan.inputs };
  }

  /** Who carries this deployment out: SSM for the fleet kinds, GitHub for the workflows. */
  protected executorOf(deployment: Pick<Deployment, 'kind'>): DeploymentExecutor {
    if (isFleetKind(deployment.kind)) return this.fleetOf();
    if (!this.workflows) throw githubNotConfigured();
    return this.workflows;
  }

  /** A deployment recorded before plans were stored: planned again from the catalog. */
  protected replan(deployment: Deployment, actor: { id: string; name: string }): DeploymentPlan {
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

  protected githubOf(): GithubRepository {
    if (!this.github) throw githubNotConfigured();
    return this.github;
  }

  protected fleetOf(): FleetExecutor {
    if (!this.fleet)
      throw new Refusal(
        'not-configured',
        'the AWS fleet is not configured: set AWS_REGION (and credentials, or an instance role)',
      );
    return this.fleet;
  }

  /** A deployment that will not run: its end recorded, its lease released, everyone told. */
  protected async end(deployment: Deployment, status: 'failed', error: string): Promise<void> {
    await this.repositories.deployments
      .transition(deployment.id, status, { error }, deployment.status)
      .catch((e: unknown) => {
        if (!(e instanceof StaleDeploymentError)) throw e;
      });
    await this.repositories.locks.release(lockKeyOf(deployment), deployment.requestId);
    await this.auditor.ended({ ...deployment, status, error }, status, SYSTEM_ACTOR);
    this.notifier.changed(deployment.id);
  }

  /** The lease for a request, or why it cannot have it. */
  protected async takeLease(request: {
    environment: string;
    service: string;
    kind: string;
    requestId: string;
    holderName: string;
  }): Promise<{ error: Refusal; holderName: string } | null> {
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

  protected async lockedRefusal(
    holderRequestId: string,
    holderName: string,
    since: number,
    key: { environment: string; service: string },
  ): Promise<Refusal> {
    const holder = await this.repositories.deployments.findByRequestId(holderRequestId);
    const link = holder?.runUrl ? ` (run: ${holder.runUrl})` : '';
    return new Refusal(
      'locked',
      `${key.service} on ${key.environment} is locked by ${holderName}'s ${holder?.kind ?? 'deploy'} since <t:${Math.floor(since / 1000)}:R>${link}; wait for it to finish or cancel it`,
    );
  }

  protected auditDecision(
    deployment: Deployment,
    who: Actor,
    decision: 'approve' | 'reject' | 'cancel',
    outcome: 'succeeded' | 'denied' | 'failed' | 'requested' | 'rejected',
    detail: Record<string, unknown> = {},
  ) {
    return this.auditor.decision(deployment, who, decision, outcome, detail);
  }
}

function githubNotConfigured(): Refusal {
  return new Refusal(
    'not-configured',
    'GitHub is not configured: set GITHUB_TOKEN or the GITHUB_APP_* variables',
  );
}

/** GitHub's and AWS's failures as refusals a user can read; anything else is a bug and rethrown. */
export function externalRefusal(error: unknown): Refusal {
  if (error instanceof Refusal) return error;
  if (error instanceof GithubError)
    return new Refusal(error.kind === 'timeout' ? 'timeout' : 'github', error.message);
  if (error instanceof AwsError)
    return new Refusal(error.kind === 'throttled' ? 'unavailable' : 'aws', error.message);
  throw error;
}
