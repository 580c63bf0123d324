import { SlashCommandBuilder } from 'discord.js';
import { renderDeliveryReport } from '@chatops/discord-ui';
import { DELIVERY_DAYS as DAYS } from '@chatops/domain';
import type { BotCommand } from '../command';
import { asCommandErrors } from '../api-calls';
import { catalogChoices, optionalEnvironment } from '../option-choices';

export const doraCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('dora')
    .setDescription(
      'Delivery metrics: deploy frequency, lead time, change failure rate, time to restore',
    )
    .addStringOption((o) =>
      o.setName('service').setDescription('Only this service (default: all)').setAutocomplete(true),
    )
    .addStringOption(optionalEnvironment)
    .addIntegerOption((o) =>
      o
        .setName('days')
        .setDescription(`How many days back (1–${DAYS.max}, default ${DAYS.default})`)
        .setMinValue(1)
        .setMaxValue(DAYS.max),
    ),
  permission: 'view',
  environmentOption: 'env',
  // Shown to the channel, like /status: how the team delivers is the team's business.
  ephemeral: false,
  async execute(ctx) {
    const options = ctx.interaction.options;
    const service = options.getString('service') || undefined;
    const environment = options.getString('env') || undefined;
    const days = options.getInteger('days') ?? undefined;
    const report = await asCommandErrors(() =>
      ctx.services.api.deliveryMetrics({
        ...(service ? { service } : {}),
        ...(environment ? { environment } : {}),
        ...(days !== undefined ? { days } : {}),
      }),
    );
    await ctx.reply(renderDeliveryReport(report));
  },
  async autocomplete(interaction, services) {
    return catalogChoices(interaction, services);
  },
};
