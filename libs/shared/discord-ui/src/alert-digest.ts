import { ButtonStyle, ComponentType, type APIButtonComponent } from 'discord-api-types/v10';
import type { RenderedMessage } from './deployment-message';
import {
  ALERT_BUTTON,
  alertDigestLine,
  alertGroupTitle,
  resolvedAfter,
  type AlertGroupView,
} from './alert-message';
import { fitText, LIMITS } from './limits';

/** Groups one digest page lists: one Silence button each fits in its five rows of five. */
export const DIGEST_PAGE_SIZE = 25;

export interface AlertDigestView {
  groups: AlertGroupView[];
  /** The on-call role the page mentions (and may ping); null: none. */
  mention: string | null;
}

const STORM_COLOUR = 0x9b59b6;
const RESOLVED_COLOUR = 0x2ecc71;

/**
 * A storm digest page: one message listing up to a page of alert groups (instead of a message
 * each), with a numbered Silence 1h button per firing group, edited as they fire and resolve.
 */
export function renderAlertDigest(view: AlertDigestView, now = Date.now()): RenderedMessage {
  const { groups } = view;
  const firing = groups.filter((g) => g.state.status === 'firing').length;
  const mention = view.mention && firing ? `<@&${view.mention}> ` : '';
  // Every group of a full page gets its line, whatever its labels hold.
  const perLine =
    Math.floor(LIMITS.embedDescription / Math.max(groups.length, DIGEST_PAGE_SIZE)) - 1;
  const lines = groups.map((group, index) => alertDigestLine(group, index + 1, now, perLine));
  const buttons: APIButtonComponent[] = groups
    .map((group, index) => ({ group, number: index + 1 }))
    .filter(
      ({ group }) =>
        group.state.status === 'firing' && !(group.silence && group.silence.until > now),
    )
    .slice(0, DIGEST_PAGE_SIZE)
    .map(({ group, number }) => ({
      type: ComponentType.Button,
      style: ButtonStyle.Secondary,
      label: `Silence ${number} for 1h`,
      emoji: { name: '🔕' },
      custom_id: `${ALERT_BUTTON.silence}${group.id}:1h`,
    }));
  const components: RenderedMessage['components'] = [];
  for (let i = 0; i < buttons.length; i += 5)
    components.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + 5) });
  const headline = firing
    ? `⛈️ **Alert storm**: ${groups.length} groups in one message · ${firing} firing, ${groups.length - firing} resolved`
    : `✅ **Alert storm over**: all ${groups.length} groups in this message resolved`;
  return {
    content: fitText(`${mention}${headline}`, LIMITS.content),
    embeds: [
      {
        title: `Alert groups (${groups.length})`,
        description: lines.join('\n'),
        color: firing ? STORM_COLOUR : RESOLVED_COLOUR,
      },
    ],
    components,
  };
}

/** The reply in a group's thread when it resolves (edits notify nobody). */
export function renderResolvedNotice(view: AlertGroupView, now = Date.now()): RenderedMessage {
  return {
    content: fitText(`✅ ${resolvedAfter(view.state, now)}: ${alertGroupTitle(view.state)}`, 500),
    embeds: [],
    components: [],
  };
}

/**
 * The reply that pages the on-call role for groups already shown without a ping: a group that
 * turned critical, or critical groups that joined a digest page after it was posted.
 */
export function renderPingNotice(role: string, groups: AlertGroupView[]): RenderedMessage {
  const titles = groups.slice(0, 10).map((g) => `🔥 ${alertGroupTitle(g.state, 120)}`);
  if (groups.length > 10) titles.push(`…and ${groups.length - 10} more`);
  return {
    content: fitText(`<@&${role}> ${titles.join('\n')}`, LIMITS.content),
    embeds: [],
    components: [],
  };
}

/** The reply in a digest page's thread once every group on it resolved. */
export function renderDigestResolvedNotice(count: number): RenderedMessage {
  return {
    content: `✅ All ${count} alert groups in this message resolved.`,
    embeds: [],
    components: [],
  };
}
