import { plainText } from '@chatops/discord-ui';
import type { BotCommand } from '../command';
import { asCommandErrors, requester } from '../api-calls';
import { lockChoices, lockTarget } from './lock';

export const unlockCommand: BotCommand = {
  data: lockTarget(
    'unlock',
    'Release a lock: your own, or anyone’s with the unlock permission',
    'Why (audited)',
  ),
  // The holder may always release their own: the API decides who else may.
  permission: 'view',
  environmentOption: 'env',
  ephemeral: false,
  async execute(ctx) {
    const options = ctx.interaction.options;
    const released = await asCommandErrors(() =>
      ctx.services.api.unlock({
        service: options.getString('service', true) ?? '',
        environment: options.getString('env', true) ?? '',
        reason: options.getString('reason', true) ?? '',
        ...requester(ctx.interaction, ctx.roles),
      }),
    );
    const what =
      released.service === '*'
        ? `all of ${released.environment}`
        : `${released.service} on ${released.environment}`;
    await ctx.reply(
      `🔓 Unlocked ${what} (held by ${plainText(released.holder.name, 100)}: ${plainText(released.reason, 200)}).`,
    );
  },
  autocomplete: lockChoices,
};
