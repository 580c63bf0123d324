import { Actor, hasPermission, isTerminal, Refusal } from '@chatops/domain';
import { GithubError } from '@chatops/github';
import type { Deployment } from '@chatops/persistence';
import { StaleDeploymentError } from '@chatops/persistence';
import { ApprovalExpiry } from './approval-expiry';
import { confirmationRefusal } from './deployment-requests';
import { lockKeyOf } from './deployment-tracker';
import { ApprovalOutcome, CancelOutcome, DeploymentCore, externalRefusal } from './deployment-core';

/**
 * Decisions on a recorded deployment: approve (by someone other than the requester, until as
 * many have as the environment needs, then dispatched), reject, and cancel (before it runs, or
 * its run). Each is recorded once however many copies arrive; every refusal is audited.
 */
export class DeploymentDecisions extends DeploymentCore {
  private readonly expiry = new ApprovalExpiry(
    this.catalog,
    this.repositories,
    this.github,
    this.notifier,
    this.options,
  );

  async approve(id: string, who: Actor): Promise<ApprovalOutcome> {
    const copy = await this.approvalCopy(id, who);
    if (copy) return copy;
    const deployment = await this.pending(id, who, 'approve');
    if (deployment.requestedBy.id === who.actor.id) {
      await this.auditDecision(deployment, who, 'approve', 'denied', { reason: 'self-approval' });
      throw new Refusal('denied', 'you cannot approve your own request: another approver has to');
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
      throw new Refusal('conflict', 'this request was decided meanwhile');
    }
    // A lock placed while it waited for approval holds it too (unless the requester holds it).
    if (queued.kind === 'deploy' || queued.kind === 'redeploy' || queued.kind === 'rollback') {
      const held = await this.humanLocks.refusalFor(
        queued.environment,
        queued.service,
        queued.requestedBy.id,
      );
      if (held) {
        await this.end(queued, 'failed', held.message);
        throw held;
      }
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
        throw new Refusal('conflict', 'this request was decided meanwhile');
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
      throw new Refusal(
        'denied',
        `you need the \`cancel\` permission on \`${deployment.environment}\``,
      );
    }
    if (
      isTerminal(deployment.status) ||
      !(await this.repositories.deployments.claimCancel(deployment.id, who.actor))
    )
      return this.cancelCopyOrRefusal(await this.find(deployment.id), who);

    let current = await this.find(deployment.id);
    // Awaiting approval nothing can be starting it: it ends here. Once queued, a dispatch may be
    // under way: the cancel request recorded above is carried out on the run it starts.
    if (current.status === 'pending_approval') {
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
      // Between its lease and its dispatch: the dispatch (or, after a crash, the reconciler)
      // cancels the run as soon as it is known, or ends it if none was started.
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
  private async cancelCopyOrRefusal(found: Deployment, who: Actor): Promise<CancelOutcome> {
    const deployment = await this.settled(found);
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
      : `${asker?.name ?? 'someone'} already asked to cancel it <t:${Math.floor((asker?.at ?? this.clock.now()) / 1000)}:R>`;
    await this.auditDecision(deployment, who, 'cancel', 'rejected', { reason });
    throw new Refusal('conflict', reason);
  }

  /**
   * A copy of a cancel that came while the original was cancelling a request not yet started:
   * the original ends it within moments, and the copy answers as it will (at most 2 s).
   */
  private async settled(deployment: Deployment): Promise<Deployment> {
    let current = deployment;
    for (
      let i = 0;
      i < 40 && current.cancelRequestedBy && !current.runId && !isTerminal(current.status);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50));
      current = await this.find(current.id);
    }
    return current;
  }

  /** Keep (on `/rollback`'s confirmation): nothing changes, and the confirmation is spent. */
  async keep(confirmationId: string, who: Actor): Promise<void> {
    const use = /^[0-9a-f-]{36}$/.test(confirmationId)
      ? await this.repositories.confirmations.use(confirmationId, who.actor.id, 'keep')
      : ({ used: false, reason: 'unknown', confirmation: null } as const);
    const payload = (use.confirmation?.payload ?? {}) as { service?: string; environment?: string };
    const record = (outcome: 'succeeded' | 'rejected', detail: Record<string, unknown>) =>
      this.repositories.audit.append({
        actor: who.actor,
        // `rollback.keep`, or `backwards.keep` for a deploy that would have gone back.
        action: `${use.confirmation?.kind ?? 'rollback'}.keep`,
        outcome,
        service: payload.service ?? null,
        environment: payload.environment ?? null,
        source: who.source ?? null,
        detail: { confirmationId, ...detail },
      });
    if (use.used) {
      await record('succeeded', {});
      return;
    }
    const refusal = confirmationRefusal(use.reason, use.confirmation?.decision ?? null);
    await record('rejected', { reason: refusal.message });
    throw refusal;
  }

  /** The same approver approving again: the answer they had, with nothing recorded twice. */
  private async approvalCopy(id: string, who: Actor): Promise<ApprovalOutcome | null> {
    const deployment = await this.findFor(id, who, 'approve');
    return (await this.hasApproved(deployment.id, who))
      ? { outcome: 'existing', deployment }
      : null;
  }

  private async hasApproved(deploymentId: string, who: Actor): Promise<boolean> {
    const approvals = await this.repositories.approvals.list(deploymentId);
    return approvals.some((a) => a.approver.id === who.actor.id);
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

  private async pending(
    id: string,
    who: Actor,
    decision: 'approve' | 'reject',
  ): Promise<Deployment> {
    const deployment = await this.findFor(id, who, decision);
    if (!hasPermission(this.catalog.roles, who.roles, 'approve', deployment.environment)) {
      await this.auditDecision(deployment, who, decision, 'denied');
      throw new Refusal(
        'denied',
        `you need the \`approve\` permission on \`${deployment.environment}\``,
      );
    }
    const expired =
      deployment.status === 'expired' ||
      (deployment.status === 'pending_approval' &&
        deployment.expiresAt !== null &&
        deployment.expiresAt <= this.clock.now());
    if (expired) {
      if (deployment.status === 'pending_approval') await this.expiry.expireApprovals();
      await this.auditDecision(deployment, who, decision, 'rejected', {
        reason: 'the approval request had expired',
      });
      throw new Refusal('expired', 'this approval request has expired; ask for a new deploy');
    }
    if (deployment.status !== 'pending_approval') {
      // A copy of the approval that released it a moment ago (it read no approval before that
      // one was recorded): `approve` answers it as the copy it is.
      if (decision === 'approve' && (await this.hasApproved(deployment.id, who))) return deployment;
      const reason = `this request is no longer awaiting approval (${deployment.status})`;
      await this.auditDecision(deployment, who, decision, 'rejected', { reason });
      throw new Refusal('conflict', reason);
    }
    return deployment;
  }
}
