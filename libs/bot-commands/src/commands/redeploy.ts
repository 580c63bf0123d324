import { SlashCommandBuilder } from 'discord.js';
import type { BotCommand } from '../command';
import { catalogChoices, describeOutcome, requester, requestWorkflow } from '../workflow-requests';

export const redeployCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('redeploy')
    .setDescription(
      'Redeploy a service on its hosts: an image CI built, or restart the current one',
    )
    .addStringOption((o) =>
      o.setName('service').setDescription('Service').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o.setName('env').setDescription('Environment').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o
        .setName('version')
        .setDescription('Image tag or sha256: digest (default: the current version, a restart)')
        .setRequired(false)
        .setAutocomplete(true),
    ),
  permission: 'redeploy',
  environmentOption: 'env',
  ephemeral: true,
  async execute(ctx) {
    const { interaction } = ctx;
    // The API checks the version (and SSM's allowedPattern again): it answers with the reason.
    const outcome = await requestWorkflow(ctx.services, {
      requestId: interaction.id,
      kind: 'redeploy',
      service: interaction.options.getString('service', true),
      environment: interaction.options.getString('env', true),
      version: interaction.options.getString('version') || null,
      channelId: interaction.channelId,
      ...requester(interaction, ctx.roles),
    });
    await ctx.reply(describeOutcome(outcome));
  },
  async autocomplete(interaction, services) {
    const focused = interaction.options.getFocused(true);
    if (focused.name !== 'version') return catalogChoices(interaction, services);
    // Versions deployed there before: only once service and environment are chosen.
    const service = interaction.options.getString('service');
    const environment = interaction.options.getString('env');
    if (!service || !environment) return [];
    const typed = String(focused.value).toLowerCase();
    const versions = await services.api.recentVersions(service, environment);
    return (
      versions
        // A choice's value holds at most 100 characters: longer tags are typed.
        .filter((v) => v.value.length <= 100 && v.value.toLowerCase().includes(typed))
        .map((v) => ({
          name: `${v.value.length > 88 ? `${v.value.slice(0, 87)}…` : v.value}${v.current ? ' (current)' : ''}`,
          value: v.value,
        }))
    );
  },
};
