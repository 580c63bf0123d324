import type { ComponentHandler } from '../command';
import { UnknownComponentError } from '../command';
import { backwardsButtons, parseBackwardsButton } from '../backwards-confirmation';
import { asCommandErrors, requester } from '../api-calls';
import { outcomeReply, requestWorkflow } from '../workflow-requests';

/**
 * The confirmation a deploy or redeploy of a target older than what runs asks for: answered
 * once, by the member who asked. The API takes the target from the confirmation and refuses if
 * what runs changed since; the answer replaces the question, its buttons disabled.
 */
export const backwardsButtonHandler: ComponentHandler = {
  prefix: 'backwards:',
  ephemeral: true,
  updatesItsMessage: true,
  async execute(ctx) {
    const parsed = parseBackwardsButton(ctx.interaction.customId);
    if (!parsed) throw new UnknownComponentError();
    const who = requester(ctx.interaction, ctx.roles);
    const spent = backwardsButtons({ id: parsed.confirmationId, kind: parsed.kind }, true);
    if (parsed.action === 'keep') {
      await asCommandErrors(() => ctx.services.api.keepConfirmation(parsed.confirmationId, who));
      await ctx.reply({ content: '👍 Nothing changed: what runs stays.', components: spent });
      return;
    }
    const outcome = await requestWorkflow(ctx.services, {
      requestId: ctx.interaction.id,
      kind: parsed.kind,
      confirmationId: parsed.confirmationId,
      channelId: ctx.interaction.channelId,
      ...who,
    });
    await ctx.reply({ ...outcomeReply(outcome), components: spent });
  },
};
