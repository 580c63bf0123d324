import { SlashCommandBuilder } from 'discord.js';
import { GIT_REF_MAX_LENGTH } from '@chatops/domain';
import type { BotCommand } from '../command';
import { requester } from '../api-calls';
import { catalogChoices } from '../option-choices';
import { outcomeReply, requestWorkflow } from '../workflow-requests';

export const deployCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('deploy')
    .setDescription('Deploy a service to an environment from a branch, tag or commit')
    .addStringOption((o) =>
      o
        .setName('service')
        .setDescription('Service from the catalog')
        .setRequired(true)
        .setAutocomplete(true),
    )
    .addStringOption((o) =>
      o.setName('env').setDescription('Environment').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o
        .setName('ref')
        .setDescription('Branch, tag or commit SHA')
        .setRequired(true)
        .setAutocomplete(true)
        .setMaxLength(GIT_REF_MAX_LENGTH),
    ),
  permission: 'deploy',
  environmentOption: 'env',
  ephemeral: true,
  async execute(ctx) {
    const { interaction } = ctx;
    const outcome = await requestWorkflow(ctx.services, {
      requestId: interaction.id,
      kind: 'deploy',
      service: interaction.options.getString('service', true),
      environment: interaction.options.getString('env', true),
      ref: interaction.options.getString('ref', true),
      channelId: interaction.channelId,
      ...requester(interaction, ctx.roles),
    });
    await ctx.reply(outcomeReply(outcome));
  },
  async autocomplete(interaction, services) {
    const focused = interaction.options.getFocused(true);
    if (focused.name !== 'ref') return catalogChoices(interaction, services);
    const refs = await services.api.suggestRefs(String(focused.value));
    return refs.map((ref) => ({
      name:
        ref.kind === 'branch'
          ? ref.name
          : ref.kind === 'tag'
            ? `${ref.name} (tag)`
            : `${ref.name.slice(0, 12)} ${ref.description ?? ''}`.trim(),
      value: ref.name,
    }));
  },
};
