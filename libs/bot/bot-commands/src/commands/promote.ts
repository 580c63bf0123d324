import { SlashCommandBuilder } from 'discord.js';
import type { BotCommand } from '../command';
import { requester } from '../api-calls';
import { nameChoices } from '../option-choices';
import { outcomeReply, requestWorkflow } from '../workflow-requests';

/**
 * `/promote service from to`: puts on `to` exactly the image that runs on `from` (the API reads
 * it from Parameter Store; image tags are immutable and name the commit they were built from),
 * under `to`'s rules: the `deploy` permission there, its approvals, locks and freezes, and the
 * compare against what `to` runs.
 */
export const promoteCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('promote')
    .setDescription(
      'Put on an environment exactly the image that runs on another (e.g. staging → prod)',
    )
    .addStringOption((o) =>
      o.setName('service').setDescription('Service').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o
        .setName('from')
        .setDescription('Environment whose running image is promoted')
        .setRequired(true)
        .setAutocomplete(true),
    )
    .addStringOption((o) =>
      o
        .setName('to')
        .setDescription('Environment it goes to')
        .setRequired(true)
        .setAutocomplete(true),
    ),
  permission: 'deploy',
  environmentOption: 'to',
  ephemeral: true,
  async execute(ctx) {
    const { interaction } = ctx;
    const outcome = await requestWorkflow(ctx.services, {
      requestId: interaction.id,
      kind: 'redeploy',
      service: interaction.options.getString('service', true),
      environment: interaction.options.getString('to', true),
      promoteFrom: interaction.options.getString('from', true),
      channelId: interaction.channelId,
      ...requester(interaction, ctx.roles),
    });
    await ctx.reply(outcomeReply(outcome));
  },
  async autocomplete(interaction, services) {
    const focused = interaction.options.getFocused(true);
    const names =
      focused.name === 'service'
        ? services.catalog.services.map((s) => s.name)
        : services.catalog.environments.map((e) => e.name);
    return nameChoices(names, String(focused.value));
  },
};
