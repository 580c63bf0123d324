import type { ComponentHandler } from '../command';
import { UnknownComponentError } from '../command';
import { parseRollbackButton, rollbackConfirmationButtons } from '../commands/rollback';
import { asCommandErrors, requester } from '../api-calls';
import { describeOutcome, requestWorkflow } from '../workflow-requests';

/**
 * The confirmation `/rollback` asks for: answered once, by the member who asked (the API holds
 * it). The API checks the permission again and that the history has not moved since the member
 * saw it (otherwise it refuses rather than roll back to something else); a second press, someone
 * else's, or a late one is refused with the reason and audited. The answer replaces the
 * confirmation, its buttons disabled.
 */
export const rollbackButtons: ComponentHandler = {
  prefix: 'rollback:',
  ephemeral: true,
  updatesItsMessage: true,
  async execute(ctx) {
    const parsed = parseRollbackButton(ctx.interaction.customId);
    if (!parsed) throw new UnknownComponentError();
    const who = requester(ctx.interaction, ctx.roles);
    const spent = rollbackConfirmationButtons(parsed.confirmationId, true);
    if (parsed.action === 'keep') {
      await asCommandErrors(() => ctx.services.api.keepConfirmation(parsed.confirmationId, who));
      await ctx.reply({ content: '👍 Nothing changed.', components: spent });
      return;
    }
    const outcome = await requestWorkflow(ctx.services, {
      requestId: ctx.interaction.id,
      kind: 'rollback',
      confirmationId: parsed.confirmationId,
      channelId: ctx.interaction.channelId,
      ...who,
    });
    await ctx.reply({ content: describeOutcome(outcome), components: spent });
  },
};
