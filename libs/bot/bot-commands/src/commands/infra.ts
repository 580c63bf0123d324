import { SlashCommandBuilder } from 'discord.js';
import { ComponentType, TextInputStyle } from 'discord-api-types/v10';
import type { BotCommand } from '../command';
import { requester } from '../api-calls';
import { nameChoices } from '../option-choices';
import { describeOutcome, requestWorkflow } from '../workflow-requests';

/** The modal `/infra action:destroy` opens; its submit is handled in components/infra-destroy.ts. */
export const INFRA_DESTROY_MODAL = 'infra-destroy:';
export const CONFIRMATION_INPUT = 'confirmation';

export const infraCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('infra')
    .setDescription('Terraform plan, apply or destroy an environment through GitHub Actions')
    .addStringOption((o) =>
      o
        .setName('action')
        .setDescription('What Terraform does')
        .setRequired(true)
        .addChoices(
          { name: 'plan', value: 'plan' },
          { name: 'apply', value: 'apply' },
          { name: 'destroy', value: 'destroy' },
        ),
    )
    .addStringOption((o) =>
      o.setName('env').setDescription('Environment').setRequired(true).setAutocomplete(true),
    ),
  permission: 'infra',
  environmentOption: 'env',
  ephemeral: true,
  async execute(ctx) {
    const action = ctx.interaction.options.getString('action', true) ?? '';
    const environment = ctx.interaction.options.getString('env', true) ?? '';
    if (action === 'destroy') {
      // Destroying an environment is typed out, not clicked through.
      await ctx.showModal({
        custom_id: `${INFRA_DESTROY_MODAL}${environment.slice(0, 60)}`,
        title: `Destroy ${environment.slice(0, 30)}?`,
        components: [
          {
            type: ComponentType.ActionRow,
            components: [
              {
                type: ComponentType.TextInput,
                custom_id: CONFIRMATION_INPUT,
                label: 'Type the environment name to confirm',
                style: TextInputStyle.Short,
                required: true,
                max_length: 100,
              },
            ],
          },
        ],
      });
      return;
    }
    const outcome = await requestWorkflow(ctx.services, {
      requestId: ctx.interaction.id,
      kind: action === 'apply' ? 'infra-apply' : 'infra-plan',
      environment,
      channelId: ctx.interaction.channelId,
      ...requester(ctx.interaction, ctx.roles),
    });
    await ctx.reply(describeOutcome(outcome));
  },
  async autocomplete(interaction, services) {
    return nameChoices(
      services.catalog.environments.map((e) => e.name),
      interaction.options.getFocused(true).value,
    );
  },
};
