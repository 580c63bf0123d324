import { ButtonStyle, ComponentType, SlashCommandBuilder } from 'discord.js';
import type { BotCommand } from '../command';
import { asCommandErrors, catalogChoices } from '../workflow-requests';

/** `rollback:go:<env>:<service>:<parameter version confirmed as current>` (≤ 88 characters). */
export const ROLLBACK_BUTTON = { go: 'rollback:go:', keep: 'rollback:keep' } as const;

export function parseRollbackButton(
  customId: string,
): { environment: string; service: string; from: number } | null {
  const match = /^rollback:go:([a-z][a-z0-9-]{0,31}):([a-z][a-z0-9-]{0,31}):(\d{1,10})$/.exec(
    customId,
  );
  if (!match) return null;
  return { environment: match[1] ?? '', service: match[2] ?? '', from: Number(match[3]) };
}

export const rollbackCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('rollback')
    .setDescription('Return a service to the version it ran before, after you confirm')
    .addStringOption((o) =>
      o.setName('service').setDescription('Service').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o.setName('env').setDescription('Environment').setRequired(true).setAutocomplete(true),
    ),
  permission: 'rollback',
  environmentOption: 'env',
  ephemeral: true,
  async execute(ctx) {
    const service = ctx.interaction.options.getString('service', true) ?? '';
    const environment = ctx.interaction.options.getString('env', true) ?? '';
    const { current, target } = await asCommandErrors(() =>
      ctx.services.api.rollbackPreview(service, environment),
    );
    const when = target.modifiedAt
      ? ` (deployed <t:${Math.floor(Date.parse(target.modifiedAt) / 1000)}:R>)`
      : '';
    await ctx.reply({
      content: `↩️ Roll back **${service}** on **${environment}** from \`${current.value}\` to \`${target.value}\`${when}? Every host in ${environment} is redeployed with \`${target.value}\`.`,
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.Button,
              style: ButtonStyle.Danger,
              label: 'Roll back',
              custom_id: `${ROLLBACK_BUTTON.go}${environment}:${service}:${current.version}`,
            },
            {
              type: ComponentType.Button,
              style: ButtonStyle.Secondary,
              label: 'Keep',
              custom_id: ROLLBACK_BUTTON.keep,
            },
          ],
        },
      ],
    });
  },
  async autocomplete(interaction, services) {
    return catalogChoices(interaction, services);
  },
};
