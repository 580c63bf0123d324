import { SlashCommandBuilder } from 'discord.js';
import type { BotCommand } from '../command';
import { requester } from '../api-calls';
import { catalogChoices, versionChoices } from '../option-choices';
import { outcomeReply, requestWorkflow } from '../workflow-requests';

export const redeployCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('redeploy')
    .setDescription(
      'Redeploy a service on its hosts: an image CI built, or restart the current one',
    )
    .addStringOption((o) =>
      o.setName('service').setDescription('Service').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o.setName('env').setDescription('Environment').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o
        .setName('version')
        .setDescription('Image tag or sha256: digest (default: the current version, a restart)')
        .setRequired(false)
        .setAutocomplete(true),
    ),
  permission: 'redeploy',
  environmentOption: 'env',
  ephemeral: true,
  async execute(ctx) {
    const { interaction } = ctx;
    // The API checks the version (and SSM's allowedPattern again): it answers with the reason.
    const outcome = await requestWorkflow(ctx.services, {
      requestId: interaction.id,
      kind: 'redeploy',
      service: interaction.options.getString('service', true),
      environment: interaction.options.getString('env', true),
      version: interaction.options.getString('version') || null,
      channelId: interaction.channelId,
      ...requester(interaction, ctx.roles),
    });
    await ctx.reply(outcomeReply(outcome));
  },
  async autocomplete(interaction, services) {
    if (interaction.options.getFocused(true).name !== 'version')
      return catalogChoices(interaction, services);
    return versionChoices(interaction, services, { withoutCurrent: false });
  },
};
