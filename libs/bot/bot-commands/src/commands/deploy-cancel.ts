import { SlashCommandBuilder } from 'discord.js';
import type { BotCommand } from '../command';
import { CommandError } from '../command';
import { asCommandErrors, requester } from '../api-calls';
import { catalogChoices } from '../option-choices';

const ACTIVE = new Set(['pending_approval', 'queued', 'dispatched', 'running']);

export const deployCancelCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('deploy-cancel')
    .setDescription('Cancel the deploy in flight (or awaiting approval) for a service')
    .addStringOption((o) =>
      o.setName('service').setDescription('Service').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o.setName('env').setDescription('Environment').setRequired(true).setAutocomplete(true),
    ),
  permission: 'cancel',
  environmentOption: 'env',
  ephemeral: true,
  async execute(ctx) {
    const service = ctx.interaction.options.getString('service', true) ?? '';
    const environment = ctx.interaction.options.getString('env', true) ?? '';
    const recent = await asCommandErrors(() =>
      ctx.services.api.listDeployments({ service, environment, limit: 10 }),
    );
    const active = recent.find((d) => ACTIVE.has(d.status));
    if (!active)
      throw new CommandError(`Nothing is deploying ${service} to ${environment} right now.`);
    const result = await asCommandErrors(() =>
      ctx.services.api.decide(active.id, 'cancel', requester(ctx.interaction, ctx.roles)),
    );
    await ctx.reply(
      result.outcome === 'cancelling'
        ? `🛑 Cancelling run #${active.runId}: GitHub is stopping it; the deploy message shows when it has.`
        : result.outcome === 'already_ended'
          ? `ℹ️ Nothing to cancel: run #${active.runId} had already ended (${result.deployment.status}); ${service} on ${environment} is free again.`
          : `🛑 Cancelled ${service} → ${environment} (it had not started).`,
    );
  },
  async autocomplete(interaction, services) {
    return catalogChoices(interaction, services);
  },
};
