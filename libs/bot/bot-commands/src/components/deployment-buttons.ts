import type { DeploymentRequestBody } from '@chatops/api-client';
import { DeploymentView, leftSplit, parseDeploymentButton } from '@chatops/discord-ui';
import type { ComponentContext, ComponentHandler } from '../command';
import { CommandError, UnknownComponentError } from '../command';
import { asCommandErrors, requester } from '../api-calls';
import { outcomeReply, requestWorkflow } from '../workflow-requests';

/**
 * Approve, Reject and Cancel on the deployment message the API posts, and after a failure Retry
 * and Roll back the rest. The API checks the permission (approver, not the requester) and edits
 * that message; the presser gets a private answer.
 */
export const deploymentButtons: ComponentHandler = {
  prefix: 'deploy:',
  ephemeral: true,
  async execute(ctx) {
    const parsed = parseDeploymentButton(ctx.interaction.customId);
    if (!parsed) throw new UnknownComponentError();
    const action = parsed.action;
    if (action === 'retry' || action === 'restore') {
      await afterFailure(ctx, action, parsed.deploymentId);
      return;
    }
    const result = await asCommandErrors(() =>
      ctx.services.api.decide(parsed.deploymentId, action, requester(ctx.interaction, ctx.roles)),
    );
    const d = result.deployment;
    const run = d.runUrl ? `run [#${d.runId}](${d.runUrl})` : `run #${d.runId}`;
    const answers = {
      dispatched: `✅ Approved: dispatched as ${run}.`,
      approved: `✅ Approved: ${result.remaining ?? 0} more approval${result.remaining === 1 ? '' : 's'} needed.`,
      existing: 'ℹ️ Your approval was already recorded; nothing more to do.',
      cancelled: '🛑 Cancelled before it started.',
      cancelling: `🛑 Cancelling ${run}.`,
      already_ended: `ℹ️ Nothing to cancel: ${run} had already ended (${d.status}).`,
    } as const;
    await ctx.reply(
      result.outcome ? answers[result.outcome] : action === 'reject' ? '🚫 Rejected.' : 'Done.',
    );
  },
};

/**
 * Retry: the failed request again (a deploy of the same ref, a redeploy of the same version, a
 * rollback). Roll back the rest: a redeploy of the version the failed rollout replaced (the
 * desired version was already set back to it), so the hosts that took the new one return. Both
 * are new requests by the presser, through every rule a typed command meets (permission, locks,
 * approvals, freezes); the interaction id makes a retried press one request.
 */
async function afterFailure(
  ctx: ComponentContext,
  action: 'retry' | 'restore',
  deploymentId: string,
): Promise<void> {
  // The API answers with the whole record, progress included.
  const failed = await asCommandErrors(() => ctx.services.api.getDeployment(deploymentId));
  if (failed.status !== 'failed' && failed.status !== 'timed_out')
    throw new CommandError(
      `Nothing to ${action === 'retry' ? 'retry' : 'roll back'}: it ${failed.status.replace('_', ' ')}.`,
    );
  const base = {
    requestId: ctx.interaction.id,
    service: failed.service,
    environment: failed.environment,
    channelId: ctx.interaction.channelId,
    ...requester(ctx.interaction, ctx.roles),
  };
  let body: DeploymentRequestBody;
  if (action === 'retry') {
    // The same commit again (what it built, or the one it was pinned to), not where its branch
    // has moved since.
    if (failed.kind === 'deploy')
      body = {
        ...base,
        kind: 'deploy',
        ref: failed.headSha ?? failed.change?.target?.sha ?? failed.ref,
      };
    else if (failed.kind === 'redeploy') body = { ...base, kind: 'redeploy', version: failed.ref };
    // A rollback again: to the last known good, as restoring (never held by a freeze).
    else if (failed.kind === 'rollback') body = { ...base, kind: 'rollback' };
    else throw new CommandError('Only deploys, redeploys and rollbacks are retried from here.');
  } else {
    if (!leftSplit(failed as DeploymentView))
      throw new CommandError('No host took the failed version: there is nothing to roll back.');
    // A deploy's rollout set the desired version back itself: a restart of it converges.
    body = {
      ...base,
      kind: 'redeploy',
      ...(failed.kind === 'deploy' ? {} : { version: failed.fromVersion ?? '' }),
    };
  }
  await ctx.reply(outcomeReply(await requestWorkflow(ctx.services, body)));
}
