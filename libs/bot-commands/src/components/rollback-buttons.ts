import type { ComponentHandler } from '../command';
import { UnknownComponentError } from '../command';
import { parseRollbackButton, ROLLBACK_BUTTON } from '../commands/rollback';
import { describeOutcome, requester, requestWorkflow } from '../workflow-requests';

/**
 * The confirmation `/rollback` asks for. The API checks the permission again and that the
 * history has not moved since the member saw it (otherwise it refuses rather than roll back to
 * something else).
 */
export const rollbackButtons: ComponentHandler = {
  prefix: 'rollback:',
  ephemeral: true,
  async execute(ctx) {
    if (ctx.interaction.customId === ROLLBACK_BUTTON.keep) {
      await ctx.reply('👍 Nothing changed.');
      return;
    }
    const parsed = parseRollbackButton(ctx.interaction.customId);
    if (!parsed) throw new UnknownComponentError();
    const outcome = await requestWorkflow(ctx.services, {
      requestId: ctx.interaction.id,
      kind: 'rollback',
      service: parsed.service,
      environment: parsed.environment,
      rollbackFrom: parsed.from,
      channelId: ctx.interaction.channelId,
      ...requester(ctx.interaction, ctx.roles),
    });
    await ctx.reply(describeOutcome(outcome));
  },
};
