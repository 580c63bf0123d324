import { type APIActionRowComponent, type APIButtonComponent } from 'discord.js';
import { confirmationButtons } from './confirmation-buttons';
import type { BackwardsConfirmation } from '@chatops/api-client';
import { codeSpan, describeChange, fitText, LIMITS, plainText } from '@chatops/discord-ui';

/**
 * `backwards:go:<kind>:<confirmation id>` and `backwards:keep:<kind>:<confirmation id>`: the API
 * holds what was confirmed (service, environment, target, the version seen running), for that
 * member, once; the kind only routes the press back to the same kind of request.
 */
export const BACKWARDS_BUTTON = { go: 'backwards:go:', keep: 'backwards:keep:' } as const;

export function parseBackwardsButton(
  customId: string,
): { action: 'go' | 'keep'; kind: 'deploy' | 'redeploy'; confirmationId: string } | null {
  const match =
    /^backwards:(go|keep):(deploy|redeploy):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
      customId,
    );
  if (!match) return null;
  return {
    action: match[1] as 'go' | 'keep',
    kind: match[2] as 'deploy' | 'redeploy',
    confirmationId: match[3] ?? '',
  };
}

/** Go back anyway and Keep; `disabled` once answered or expired. */
export function backwardsButtons(
  confirmation: Pick<BackwardsConfirmation, 'id' | 'kind'>,
  disabled = false,
): APIActionRowComponent<APIButtonComponent>[] {
  const suffix = `${confirmation.kind}:${confirmation.id}`;
  return confirmationButtons(
    {
      label: confirmation.kind === 'deploy' ? 'Deploy it anyway' : 'Redeploy it anyway',
      customId: `${BACKWARDS_BUTTON.go}${suffix}`,
    },
    { label: 'Keep what runs', customId: `${BACKWARDS_BUTTON.keep}${suffix}` },
    disabled,
  );
}

/**
 * The question: what would go, from what (how far back, when older), over which deployment's bake
 * window (when one is baking), and until when it can be answered.
 */
export function describeBackwards(confirmation: BackwardsConfirmation): string {
  const older = confirmation.older ?? true;
  const change = confirmation.change ? describeChange(confirmation.change) : null;
  const behind = confirmation.change?.compare?.behindBy ?? 0;
  const doing = confirmation.promoteFrom
    ? `promoting ${confirmation.service} from ${confirmation.promoteFrom}`
    : `${confirmation.kind === 'deploy' ? 'deploying' : 'redeploying'} ${confirmation.service}`;
  const baking = confirmation.baking;
  const lines = [
    ...(older
      ? [
          `⏪ **${codeSpan(fitText(confirmation.target, 100))} is older than what runs** on **${confirmation.environment}**: ${doing} would drop ${behind} commit${behind === 1 ? '' : 's'}.`,
        ]
      : []),
    ...(baking
      ? [
          `🧪 **${plainText(baking.what, 150)} is baking** (deployed by ${plainText(baking.by, 100)}; watched until <t:${Math.floor(baking.endsAt / 1000)}:t>): ${doing} now means what fires next could be either's doing.`,
        ]
      : []),
    ...(change?.target ? [`Target: ${change.target}`] : []),
    ...(change ? [`Running now: ${change.running}`] : []),
    ...(change?.compare ? [change.compare] : []),
    `${older ? 'Go back' : 'Go ahead'} anyway? Answer by <t:${Math.floor(confirmation.expiresAt / 1000)}:t>; once. It then goes through every rule a ${confirmation.kind} meets (approvals, locks, freezes).`,
  ];
  return fitText(lines.join('\n'), LIMITS.content);
}
