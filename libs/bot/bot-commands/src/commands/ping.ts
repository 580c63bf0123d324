import { SlashCommandBuilder } from 'discord.js';
import { ApiError } from '@chatops/api-client';
import { BotCommand, CommandError } from '../command';

export const pingCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('ping')
    .setDescription('Gateway heartbeat and API round-trip latency'),
  permission: null,
  ephemeral: true,
  async execute(ctx) {
    const heartbeat = ctx.services.gatewayPing();
    let roundTripMs: number;
    try {
      ({ roundTripMs } = await ctx.services.api.ping());
    } catch (error) {
      if (error instanceof ApiError)
        throw new CommandError(`Pong from the bot, but ${error.message}`);
      throw error;
    }
    await ctx.reply(
      `🏓 Pong! Gateway heartbeat: ${heartbeat >= 0 ? `${Math.round(heartbeat)} ms` : 'not measured yet'} · API round trip: ${Math.round(roundTripMs)} ms`,
    );
  },
};
