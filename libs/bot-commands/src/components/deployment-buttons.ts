import { parseDeploymentButton } from '@chatops/discord-ui';
import type { ComponentHandler } from '../command';
import { UnknownComponentError } from '../command';
import { asCommandErrors, requester } from '../workflow-requests';

/**
 * Approve, Reject and Cancel on the deployment message the API posts. The API checks the
 * permission (approver, not the requester) and edits that message; the presser gets a private answer.
 */
export const deploymentButtons: ComponentHandler = {
  prefix: 'deploy:',
  ephemeral: true,
  async execute(ctx) {
    const parsed = parseDeploymentButton(ctx.interaction.customId);
    if (!parsed) throw new UnknownComponentError();
    const result = await asCommandErrors(() =>
      ctx.services.api.decide(
        parsed.deploymentId,
        parsed.action,
        requester(ctx.interaction, ctx.roles),
      ),
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
      result.outcome
        ? answers[result.outcome]
        : parsed.action === 'reject'
          ? '🚫 Rejected.'
          : 'Done.',
    );
  },
};
