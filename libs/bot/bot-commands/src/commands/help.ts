import { SlashCommandBuilder } from 'discord.js';
import { permissionsFor, type Permission } from '@chatops/domain';
import { fitText, LIMITS } from '@chatops/discord-ui';
import type { BotCommand } from '../command';

export const helpCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('help')
    .setDescription('What this bot can do, and what you may do with it'),
  permission: null,
  ephemeral: true,
  async execute(ctx) {
    const { catalog } = ctx.services;
    const environments = catalog.environments.map((e) => e.name);
    // Permissions are granted per environment: say where this member holds each one.
    const yoursOn = new Map(
      environments.map((env) => [env, permissionsFor(catalog.roles, ctx.roles, env)]),
    );
    const where = (permission: Permission) => {
      const on = environments.filter((env) => yoursOn.get(env)?.has(permission));
      if (on.length === environments.length) return 'yours everywhere';
      return on.length ? `yours on ${on.join(', ')}` : 'you lack it';
    };
    const lines = ctx.services.registry.list().map((command) => {
      const needs = command.permission
        ? ` · needs \`${command.permission}\` (${where(command.permission)})`
        : '';
      return `**/${command.data.name}**: ${command.data.description}${needs}`;
    });
    const description = fitText(lines.join('\n'), LIMITS.embedDescription);
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
