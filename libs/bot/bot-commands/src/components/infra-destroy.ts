import type { ComponentHandler } from '../command';
import { CONFIRMATION_INPUT, INFRA_DESTROY_MODAL } from '../commands/infra';
import { requester } from '../api-calls';
import { describeOutcome, requestWorkflow } from '../workflow-requests';

/** The typed confirmation of `/infra action:destroy`; the API checks it and needs two approvers. */
export const infraDestroyModal: ComponentHandler = {
  prefix: INFRA_DESTROY_MODAL,
  ephemeral: true,
  async execute(ctx) {
    const environment = ctx.interaction.customId.slice(INFRA_DESTROY_MODAL.length);
    const outcome = await requestWorkflow(ctx.services, {
      requestId: ctx.interaction.id,
      kind: 'infra-destroy',
      environment,
      confirmation: ctx.interaction.fields?.getTextInputValue(CONFIRMATION_INPUT) ?? '',
      channelId: ctx.interaction.channelId,
      ...requester(ctx.interaction, ctx.roles),
    });
    await ctx.reply(describeOutcome(outcome));
  },
};
