import { SlashCommandBuilder } from 'discord.js';
import { permissionsFor } from '@chatops/domain';
import type { BotCommand } from '../command';

const EMBED_DESCRIPTION_LIMIT = 4096;

export const helpCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('help')
    .setDescription('What this bot can do, and what you may do with it'),
  permission: null,
  ephemeral: true,
  async execute(ctx) {
    const yours = permissionsFor(ctx.services.catalog.roles, ctx.roles, null);
    const lines = ctx.services.registry.list().map((command) => {
      const needs = command.permission
        ? ` · needs \`${command.permission}\`${yours.has(command.permission) ? '' : ' (you lack it)'}`
        : '';
      return `**/${command.data.name}**: ${command.data.description}${needs}`;
    });
    let description = lines.join('\n');
    if (description.length > EMBED_DESCRIPTION_LIMIT) {
      description = `${description.slice(0, EMBED_DESCRIPTION_LIMIT - 1)}…`;
    }
    await ctx.reply({
      embeds: [
        {
          title: 'ChatOps commands',
          description,
          footer: {
            text: `Environments: ${ctx.services.catalog.environments.map((e) => e.name).join(', ')} · Services: ${ctx.services.catalog.services.map((s) => s.name).join(', ')}`,
          },
        },
      ],
    });
  },
};
