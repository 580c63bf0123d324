import { SlashCommandBuilder } from 'discord.js';
import { renderAlertList } from '@chatops/discord-ui';
import type { BotCommand } from '../command';
import { asCommandErrors } from '../api-calls';
import { catalogChoices, optionalEnvironment } from '../option-choices';

export const alertsCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('alerts')
    .setDescription('The alerts firing now (from Alertmanager)')
    .addStringOption(optionalEnvironment),
  permission: 'view',
  environmentOption: 'env',
  ephemeral: false,
  async execute(ctx) {
    const environment = ctx.interaction.options.getString('env') || undefined;
    const alerts = await asCommandErrors(() => ctx.services.api.firingAlerts(environment));
    await ctx.reply(renderAlertList(alerts, environment ?? null));
  },
  async autocomplete(interaction, services) {
    return catalogChoices(interaction, services);
  },
};
