import { SlashCommandBuilder } from 'discord.js';
import { describeRequest, fitText, LIMITS } from '@chatops/discord-ui';
import { isFleetKind } from '@chatops/domain';
import type { BotCommand } from '../command';
import { asCommandErrors } from '../api-calls';
import { nameChoices } from '../option-choices';
import { statusMark } from '../workflow-requests';

const COUNT = 10;

export const runsCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('runs')
    .setDescription('Recent deploys, infra runs and AMI builds with their GitHub runs')
    .addStringOption((o) =>
      o.setName('service').setDescription('Only this service').setAutocomplete(true),
    ),
  permission: 'view',
  ephemeral: true,
  async execute(ctx) {
    const service = ctx.interaction.options.getString('service') ?? undefined;
    const runs = await asCommandErrors(() =>
      ctx.services.api.listDeployments({ limit: COUNT, ...(service ? { service } : {}) }),
    );
    const lines = runs.map((d) => {
      // An SSM command id is a UUID: its first 8 characters tell it apart, as on the message.
      const label = isFleetKind(d.kind) ? `command ${d.runId?.slice(0, 8)}` : `run #${d.runId}`;
      const run = d.runUrl ? ` · [${label}](${d.runUrl})` : '';
      return `${statusMark(d.status)} ${describeRequest(d)} · ${d.requestedBy.name} · <t:${Math.floor(d.createdAt / 1000)}:R> · ${d.status.replace('_', ' ')}${run}`;
    });
    await ctx.reply({
      embeds: [
        {
          title: `Recent runs${service ? ` of ${service}` : ''} (${runs.length})`,
          description: runs.length
            ? fitText(lines.join('\n'), LIMITS.embedDescription)
            : 'Nothing has run yet.',
        },
      ],
    });
  },
  async autocomplete(interaction, services) {
    return nameChoices(
      services.catalog.services.map((s) => s.name),
      interaction.options.getFocused(true).value,
    );
  },
};
