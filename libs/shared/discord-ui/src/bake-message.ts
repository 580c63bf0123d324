import { ButtonStyle, ComponentType } from 'discord-api-types/v10';
import { alertRollbackButtonId, versionSpan } from './alert-message';
import type { RenderedMessage } from './deployment-message';
import { fitText, LIMITS, plainText } from './limits';

/**
 * The ping when a bake failed and the platform did not roll back (manual mode, or the rollback
 * was refused): a reply to the deployment's message mentioning its requester, saying what was
 * found, with **Roll back to <last good>** (the same confirmation as `/rollback`).
 */
export function renderBakePing(ping: {
  requesterId: string;
  what: string;
  finding: string;
  /** Why the platform did not roll back itself (null: manual mode). */
  notRolledBack: string | null;
  service: string;
  environment: string;
  rollbackTo: string | null;
}): RenderedMessage {
  const mention = /^\d{17,20}$/.test(ping.requesterId) ? `<@${ping.requesterId}> ` : '';
  const why = ping.notRolledBack
    ? ` Not rolled back automatically: ${plainText(ping.notRolledBack, 300)}.`
    : '';
  const offer = ping.rollbackTo
    ? ` Roll back to ${versionSpan(ping.rollbackTo)}?`
    : ' No earlier good version is known: deploy a fix.';
  const components: RenderedMessage['components'] = ping.rollbackTo
    ? [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.Button,
              style: ButtonStyle.Danger,
              label: fitText(`Roll back to ${ping.rollbackTo}`, LIMITS.buttonLabel),
              emoji: { name: '↩️' },
              custom_id: alertRollbackButtonId(ping.environment, ping.service, ping.rollbackTo),
            },
          ],
        },
      ]
    : [];
  return {
    content: fitText(
      `${mention}⚠️ The bake of ${plainText(ping.what, 200)} failed: ${plainText(ping.finding, 300)}.${why}${offer}`,
      LIMITS.content,
    ),
    embeds: [],
    components,
  };
}
