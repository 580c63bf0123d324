import { SlashCommandBuilder } from 'discord.js';
import type { HumanLockView } from '@chatops/api-client';
import { plainText } from '@chatops/discord-ui';
import type { AutocompleteInteraction, BotCommand, CommandServices } from '../command';
import { asCommandErrors, requester } from '../api-calls';
import { catalogChoices, nameChoices } from '../option-choices';

/** The most a lock may last (a week), as the API holds it. */
const MAX_MINUTES = 7 * 24 * 60;

export const lockCommand: BotCommand = {
  data: lockTarget(
    'lock',
    'Hold a service (or all of an environment): nobody else deploys until /unlock',
    'Why (shown to everyone refused)',
  ).addIntegerOption((o) =>
    o
      .setName('minutes')
      .setDescription('How long (default: until /unlock)')
      .setMinValue(1)
      .setMaxValue(MAX_MINUTES),
  ),
  permission: 'deploy',
  environmentOption: 'env',
  ephemeral: false,
  async execute(ctx) {
    const options = ctx.interaction.options;
    const lock = await asCommandErrors(() =>
      ctx.services.api.lock({
        service: options.getString('service', true) ?? '',
        environment: options.getString('env', true) ?? '',
        reason: options.getString('reason', true) ?? '',
        durationMinutes: options.getInteger('minutes') ?? null,
        ...requester(ctx.interaction, ctx.roles),
      }),
    );
    await ctx.reply(`🔒 ${describeLock(lock)}. \`/unlock\` releases it.`);
  },
  autocomplete: lockChoices,
};

/** "Locked api on prod by alice: investigating (until <t:…:t>)". */
export function describeLock(lock: HumanLockView): string {
  const what =
    lock.service === '*' ? `all of ${lock.environment}` : `${lock.service} on ${lock.environment}`;
  return `Locked ${what} by ${plainText(lock.holder.name, 100)}: ${plainText(lock.reason, 200)}${lock.expiresAt ? ` (until <t:${Math.floor(lock.expiresAt / 1000)}:t>)` : ''}`;
}

/** `/lock` and `/unlock` name the same thing: a service (or `all`), an environment, a reason. */
export function lockTarget(name: string, description: string, reason: string) {
  return new SlashCommandBuilder()
    .setName(name)
    .setDescription(description)
    .addStringOption((o) =>
      o
        .setName('service')
        .setDescription('Service, or all')
        .setRequired(true)
        .setAutocomplete(true),
    )
    .addStringOption((o) =>
      o.setName('env').setDescription('Environment').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o.setName('reason').setDescription(reason).setRequired(true).setMaxLength(200),
    );
}

/** Services (and `all`) and environments, as the member types. */
export async function lockChoices(interaction: AutocompleteInteraction, services: CommandServices) {
  const focused = interaction.options.getFocused(true);
  if (focused.name === 'service')
    return nameChoices(
      ['all', ...services.catalog.services.map((s) => s.name)],
      String(focused.value),
    );
  return catalogChoices(interaction, services);
}
