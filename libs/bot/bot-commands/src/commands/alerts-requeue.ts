import { SlashCommandBuilder } from 'discord.js';
import { plainText } from '@chatops/discord-ui';
import type { BotCommand } from '../command';
import { asCommandErrors, requester } from '../api-calls';

/**
 * Alert messages Discord refused for good (a 400 or 403 that retrying would not change: kept
 * in the outbox with Discord's error) are sent again, once what made Discord refuse them is
 * mended (a permission of the bot in the channel, say). The API checks `silence` and audits.
 */
export const alertsRequeueCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('alerts-requeue')
    .setDescription('Send again the alert messages Discord refused, with the errors it gave'),
  permission: 'silence',
  ephemeral: true,
  async execute(ctx) {
    const { requeued, errors } = await asCommandErrors(() =>
      ctx.services.api.requeueRefusedAlerts(requester(ctx.interaction, ctx.roles)),
    );
    if (!requeued) {
      await ctx.reply('✅ Nothing to send again: Discord has refused no alert message.');
      return;
    }
    const why = errors.map((e) => `• ${plainText(e, 300)}`).join('\n');
    await ctx.reply(
      `🔁 ${requeued === 1 ? '1 alert notification goes' : `${requeued} alert notifications go`} out again. Discord had answered:\n${why}`,
    );
  },
};
