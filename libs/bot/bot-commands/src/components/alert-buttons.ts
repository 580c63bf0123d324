import { parseAlertButton, parseSilenceExpireButton } from '@chatops/discord-ui';
import type { ComponentHandler } from '../command';
import { UnknownComponentError } from '../command';
import { asCommandErrors, requester } from '../api-calls';
import { outcomeReply, requestWorkflow } from '../workflow-requests';
import { askToRollBack } from '../commands/rollback';

/**
 * Silence 1h / 4h, Redeploy and Roll back on the alert messages the API posts. Silences are
 * created by the API (permission-checked, audited, the message edited to say who silenced it
 * until when); Redeploy is an ordinary `/redeploy` request, with its approvals, lease and
 * progress message; Roll back (on an alert that fired after a deployment) asks the same
 * confirmation as `/rollback`, to the version the button names.
 */
export const alertButtons: ComponentHandler = {
  prefix: 'alert:',
  ephemeral: true,
  async execute(ctx) {
    const parsed = parseAlertButton(ctx.interaction.customId);
    if (!parsed) throw new UnknownComponentError();
    if (parsed.action === 'redeploy') {
      const outcome = await requestWorkflow(ctx.services, {
        requestId: ctx.interaction.id,
        kind: 'redeploy',
        service: parsed.service,
        environment: parsed.environment,
        channelId: ctx.interaction.channelId,
        ...requester(ctx.interaction, ctx.roles),
      });
      await ctx.reply(outcomeReply(outcome));
      return;
    }
    if (parsed.action === 'rollback') {
      await askToRollBack(ctx, parsed.service, parsed.environment, parsed.to);
      return;
    }
    const silence = await asCommandErrors(() =>
      ctx.services.api.silenceAlertGroup(
        parsed.groupId,
        parsed.duration,
        requester(ctx.interaction, ctx.roles),
      ),
    );
    await ctx.reply(
      `🔕 Silenced for ${parsed.duration}, until <t:${Math.floor(silence.endsAt / 1000)}:t> (silence \`${silence.silenceId}\`; /silences to expire it).`,
    );
  },
};

/** Expire on a `/silences` list. */
export const silenceButtons: ComponentHandler = {
  prefix: 'silence:',
  ephemeral: true,
  async execute(ctx) {
    const id = parseSilenceExpireButton(ctx.interaction.customId);
    if (!id) throw new UnknownComponentError();
    const { silence } = await asCommandErrors(() =>
      ctx.services.api.expireSilence(id, requester(ctx.interaction, ctx.roles)),
    );
    await ctx.reply(
      `🔔 Expired the silence on ${silence.matchers.map((m) => `\`${m.name}=${m.value}\``).join(' ')}.`,
    );
  },
};
