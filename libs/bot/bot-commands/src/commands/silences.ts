import { SlashCommandBuilder } from 'discord.js';
import { permissionsFor } from '@chatops/domain';
import { renderSilenceList } from '@chatops/discord-ui';
import type { BotCommand } from '../command';
import { asCommandErrors } from '../api-calls';

export const silencesCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('silences')
    .setDescription('Active silences, with a button to expire each one'),
  permission: 'view',
  // Private: the Expire buttons are for the member who asked (the API checks them again).
  ephemeral: true,
  async execute(ctx) {
    const silences = await asCommandErrors(() => ctx.services.api.silences());
    const canExpire = permissionsFor(ctx.services.catalog.roles, ctx.roles, null).has('silence');
    await ctx.reply(renderSilenceList(silences, canExpire));
  },
};
