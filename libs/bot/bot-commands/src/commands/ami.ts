import { SlashCommandBuilder } from 'discord.js';
import type { BotCommand } from '../command';
import { requester } from '../api-calls';
import { describeOutcome, requestWorkflow } from '../workflow-requests';

export const amiCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('ami')
    .setDescription('Build the Docker host AMI with Packer through GitHub Actions')
    .addStringOption((o) =>
      o
        .setName('action')
        .setDescription('What to do')
        .setRequired(true)
        .addChoices({ name: 'build', value: 'build' }),
    ),
  permission: 'ami',
  ephemeral: true,
  async execute(ctx) {
    const outcome = await requestWorkflow(ctx.services, {
      requestId: ctx.interaction.id,
      kind: 'ami-build',
      channelId: ctx.interaction.channelId,
      ...requester(ctx.interaction, ctx.roles),
    });
    await ctx.reply(describeOutcome(outcome));
  },
};
