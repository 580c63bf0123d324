import {
  SlashCommandBuilder,
  type APIActionRowComponent,
  type APIButtonComponent,
} from 'discord.js';
import { confirmationButtons } from '../confirmation-buttons';
import type { Answerable, BotCommand, CommandContext, ComponentContext } from '../command';
import type { PreviewedVersion } from '@chatops/domain';
import { plainText } from '@chatops/discord-ui';
import { asCommandErrors, requester } from '../api-calls';
import { catalogChoices, versionChoices } from '../option-choices';

/**
 * `rollback:go:<confirmation id>` and `rollback:keep:<confirmation id>`: the API holds what was
 * confirmed (service, environment, the version seen as current), for that member, once.
 */
export const ROLLBACK_BUTTON = { go: 'rollback:go:', keep: 'rollback:keep:' } as const;

export function parseRollbackButton(
  customId: string,
): { action: 'go' | 'keep'; confirmationId: string } | null {
  const match =
    /^rollback:(go|keep):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
      customId,
    );
  if (!match) return null;
  return { action: match[1] as 'go' | 'keep', confirmationId: match[2] ?? '' };
}

/** Roll back and Keep; `disabled` once answered or expired, so the message shows it is spent. */
export function rollbackConfirmationButtons(
  confirmationId: string,
  disabled = false,
): APIActionRowComponent<APIButtonComponent>[] {
  return confirmationButtons(
    { label: 'Roll back', customId: `${ROLLBACK_BUTTON.go}${confirmationId}` },
    { label: 'Keep', customId: `${ROLLBACK_BUTTON.keep}${confirmationId}` },
    disabled,
  );
}

export const rollbackCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('rollback')
    .setDescription(
      'Return a service to its last known good version (or one you pick), after you confirm',
    )
    .addStringOption((o) =>
      o.setName('service').setDescription('Service').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o.setName('env').setDescription('Environment').setRequired(true).setAutocomplete(true),
    )
    .addStringOption((o) =>
      o
        .setName('to')
        .setDescription('A version that ran there (default: the last known good)')
        .setRequired(false)
        .setMaxLength(128)
        .setAutocomplete(true),
    ),
  permission: 'rollback',
  environmentOption: 'env',
  ephemeral: true,
  async execute(ctx) {
    await askToRollBack(
      ctx,
      ctx.interaction.options.getString('service', true) ?? '',
      ctx.interaction.options.getString('env', true) ?? '',
      ctx.interaction.options.getString('to') || null,
    );
  },
  async autocomplete(interaction, services) {
    if (interaction.options.getFocused(true).name !== 'to')
      return catalogChoices(interaction, services);
    // Where a rollback can go: what ran there before, the bad ones marked.
    return versionChoices(interaction, services, { withoutCurrent: true });
  },
};

/**
 * Asks the member to confirm a rollback (`/rollback`, and an alert's Roll back button): the API
 * checks the permission and says from which version to which (`to`, or the last known good);
 * the answer is the ephemeral confirmation, its buttons disabled once it expires.
 */
export async function askToRollBack(
  ctx: Pick<CommandContext | ComponentContext, 'services' | 'roles' | 'reply'> & {
    interaction: Answerable & Parameters<typeof requester>[0];
  },
  service: string,
  environment: string,
  to: string | null,
): Promise<void> {
  const { current, target, confirmationId, expiresAt } = await asCommandErrors(() =>
    ctx.services.api.confirmRollback(
      service,
      environment,
      requester(ctx.interaction, ctx.roles),
      to,
    ),
  );
  if (!confirmationId) throw new Error('the API answered a rollback confirmation without its id');
  const warning = target.bad
    ? ` ⚠️ \`${target.value}\` is marked bad: ${plainText(target.bad, 200)}.`
    : '';
  await ctx.reply({
    content: `↩️ Roll back **${service}** on **${environment}** from \`${current.value}\`${provenance(current)} to \`${target.value}\`${provenance(target)}?${warning} Every host in ${environment} is redeployed with \`${target.value}\`.${expiresAt ? ` Answer by <t:${Math.floor(expiresAt / 1000)}:t>; once.` : ''}`,
    components: rollbackConfirmationButtons(confirmationId),
  });
  // Once the confirmation expires its buttons are disabled in the message (an answered one
  // already has them disabled; editing only the components leaves its answer as it is). A
  // press the bot never disabled (it restarted meanwhile) is still refused by the API.
  if (expiresAt) {
    const timer = setTimeout(
      () => {
        ctx.interaction
          .editReply({ components: rollbackConfirmationButtons(confirmationId, true) })
          .catch(() => undefined);
      },
      Math.max(expiresAt - Date.now(), 0),
    );
    timer.unref();
  }
}

/** " (deployed by alice <t:…:R>)": who put a version on the hosts, and when. */
function provenance(record: PreviewedVersion): string {
  if (record.deployedBy)
    return ` (deployed by ${plainText(record.deployedBy.name, 100)} <t:${Math.floor(record.deployedBy.at / 1000)}:R>)`;
  return record.modifiedAt
    ? ` (deployed <t:${Math.floor(Date.parse(record.modifiedAt) / 1000)}:R>)`
    : '';
}
