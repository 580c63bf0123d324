import { SlashCommandBuilder } from 'discord.js';
import { renderFleetStatus } from '@chatops/discord-ui';
import type { BotCommand } from '../command';
import { asCommandErrors } from '../api-calls';
import { catalogChoices, optionalEnvironment } from '../option-choices';

export const statusCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('status')
    .setDescription('The hosts, and the version of each service they run against the desired one')
    .addStringOption(optionalEnvironment),
  permission: 'view',
  environmentOption: 'env',
  // Shown to the channel: the state of the fleet is the team's business.
  ephemeral: false,
  async execute(ctx) {
    const environment = ctx.interaction.options.getString('env') || undefined;
    const status = await asCommandErrors(() => ctx.services.api.fleetStatus(environment));
    await ctx.reply(renderFleetStatus(status));
  },
  async autocomplete(interaction, services) {
    return catalogChoices(interaction, services);
  },
};
