import {
  ButtonStyle,
  ComponentType,
  type APIButtonComponent,
  type APIEmbed,
} from 'discord-api-types/v10';
import { formatMatcher, type FiringAlert, type SilenceSummary } from '@chatops/domain';
import type { RenderedMessage } from './deployment-message';
import { fitLines, fitText, LIMITS } from './limits';

export const SILENCE_EXPIRE_BUTTON = 'silence:expire:';
const SILENCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Five rows of five buttons. */
/** One Expire button per silence, in as many rows as a message holds. */
const MAX_BUTTONS = LIMITS.actionRows * LIMITS.buttonsPerRow;

export function parseSilenceExpireButton(customId: string): string | null {
  if (!customId.startsWith(SILENCE_EXPIRE_BUTTON)) return null;
  const id = customId.slice(SILENCE_EXPIRE_BUTTON.length);
  return SILENCE_ID.test(id) ? id : null;
}

const ICONS: Record<string, string> = { critical: '🔴', error: '🔴', warning: '🟠', info: '🔵' };
const seconds = (ms: number) => Math.floor(ms / 1000);

/** `/alerts [env]`: what fires now, most severe first, muted ones marked. */
export function renderAlertList(
  alerts: FiringAlert[],
  environment: string | null,
): RenderedMessage {
  const where = environment ? ` on ${environment}` : '';
  if (!alerts.length)
    return { content: `✅ No alerts firing${where}.`, embeds: [], components: [] };
  const rank = (a: FiringAlert) =>
    ['critical', 'error', 'warning', 'info'].indexOf(a.severity ?? '') + 1 || 9;
  const sorted = [...alerts].sort((a, b) => rank(a) - rank(b) || a.startsAt - b.startsAt);
  const lines = sorted.map((a) => {
    const icon = a.state === 'suppressed' ? '🔕' : (ICONS[a.severity ?? ''] ?? '⚪');
    const place = a.labels['instance'] ?? a.labels['service'] ?? '';
    const env = environment ? '' : (a.labels['environment'] ?? '');
    const tags = [env, place].filter(Boolean).map((t) => `\`${t.replaceAll('`', "'")}\``);
    return fitText(
      `${icon} **${a.name}** ${tags.join(' ')} since <t:${seconds(a.startsAt)}:R>${
        a.summary ? ` · ${a.summary}` : ''
      }`,
      300,
    );
  });
  const active = alerts.filter((a) => a.state !== 'suppressed').length;
  const text = fitLines(lines, LIMITS.embedDescription);
  const muted = alerts.length - active;
  return {
    content: `🔥 ${active} alert${active === 1 ? '' : 's'} firing${where}${
      muted ? ` (and ${muted} silenced or inhibited)` : ''
    }`,
    embeds: [{ title: fitText(`Alerts${where}`, LIMITS.embedTitle), description: text }],
    components: [],
  };
}

/** `/silences`: active and pending silences, each with an Expire button for those allowed to. */
export function renderSilenceList(silences: SilenceSummary[], canExpire: boolean): RenderedMessage {
  const live = silences.filter((s) => s.state !== 'expired');
  if (!live.length) return { content: '🔔 No active silences.', embeds: [], components: [] };
  const sorted = [...live].sort((a, b) => a.endsAt - b.endsAt);
  const lines = sorted.map((s, i) =>
    fitText(
      `**${i + 1}.** ${s.matchers.map((m) => `\`${formatMatcher(m).replaceAll('`', "'")}\``).join(' ')} · ${
        s.state === 'pending' ? `starts <t:${seconds(s.startsAt)}:R>, ` : ''
      }ends <t:${seconds(s.endsAt)}:R> · by ${s.createdBy}${s.comment ? ` · ${s.comment}` : ''}`,
      400,
    ),
  );
  const text = fitLines(lines, LIMITS.embedDescription);
  const embed: APIEmbed = { title: `Silences (${live.length})`, description: text };
  const buttons: APIButtonComponent[] = canExpire
    ? sorted.slice(0, MAX_BUTTONS).map((s, i) => ({
        type: ComponentType.Button,
        style: ButtonStyle.Danger,
        label: `Expire ${i + 1}`,
        custom_id: `${SILENCE_EXPIRE_BUTTON}${s.id}`,
      }))
    : [];
  const components: RenderedMessage['components'] = [];
  for (let i = 0; i < buttons.length; i += 5)
    components.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + 5) });
  return {
    content: `🔕 ${live.length} silence${live.length === 1 ? '' : 's'}${
      live.length > MAX_BUTTONS && canExpire ? ` (buttons for the first ${MAX_BUTTONS})` : ''
    }`,
    embeds: [embed],
    components,
  };
}
