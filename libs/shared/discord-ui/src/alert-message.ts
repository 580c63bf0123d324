import {
  ButtonStyle,
  ComponentType,
  type APIButtonComponent,
  type APIEmbed,
} from 'discord-api-types/v10';
import {
  alertName,
  alertTime,
  IMAGE_VERSION_PATTERN,
  isResourceName,
  type AlertDeployContext,
  SILENCE_DURATIONS,
  type SilenceDuration,
  type AlertGroupState,
  type AlertInstance,
} from '@chatops/domain';
import { embedLength, formatDuration, type RenderedMessage } from './deployment-message';
import { codeSpan, fitText, LIMITS, plainLines, plainText } from './limits';

/** What the alert message shows: the folded group and what people did about it. */
export interface AlertGroupView {
  id: number;
  state: AlertGroupState;
  silence: { until: number; by: string } | null;
  /** Offered when the group's alerts name a catalog service and environment. */
  redeploy: { service: string; environment: string } | null;
  /** The on-call role the message mentions (and may ping); absent or null: none. */
  mention?: string | null;
  /** The deployment the group fired after (see AlertCorrelator); absent or null: none. */
  deploy?: AlertDeployContext | null;
}

/** Button ids shared by the API (which renders them) and the bot (which receives the presses). */
export const ALERT_BUTTON = {
  silence: 'alert:silence:',
  redeploy: 'alert:redeploy:',
  rollback: 'alert:rollback:',
} as const;

export type AlertButton =
  | { action: 'silence'; groupId: number; duration: SilenceDuration }
  | { action: 'redeploy'; environment: string; service: string }
  /** `to`: the version the button named; null: the last known good when pressed. */
  | { action: 'rollback'; environment: string; service: string; to: string | null };

/**
 * "alert:rollback:<env>:<service>:<version>", or without the version when the id would pass
 * Discord's 100 characters (the confirmation then shows the last known good it goes to).
 */
export function alertRollbackButtonId(environment: string, service: string, to: string): string {
  const base = `${ALERT_BUTTON.rollback}${environment}:${service}`;
  const full = `${base}:${to}`;
  return full.length <= LIMITS.customId ? full : base;
}

export function parseAlertButton(customId: string): AlertButton | null {
  const silence = /^alert:silence:(\d{1,15}):(1h|4h)$/.exec(customId);
  if (silence)
    return {
      action: 'silence',
      groupId: Number(silence[1]),
      duration: silence[2] as SilenceDuration,
    };
  const redeploy = /^alert:redeploy:([^:]+):([^:]+)$/.exec(customId);
  if (redeploy && isResourceName(redeploy[1] ?? '') && isResourceName(redeploy[2] ?? ''))
    return { action: 'redeploy', environment: redeploy[1] ?? '', service: redeploy[2] ?? '' };
  // The version may hold a colon (sha256:…): everything after the service is the version.
  const rollback = /^alert:rollback:([^:]+):([^:]+)(?::(.+))?$/.exec(customId);
  const [, environment = '', service = '', to] = rollback ?? [];
  if (
    rollback &&
    isResourceName(environment) &&
    isResourceName(service) &&
    (to === undefined || IMAGE_VERSION_PATTERN.test(to))
  )
    return { action: 'rollback', environment, service, to: to ?? null };
  return null;
}

const SEVERITY_COLOURS: Record<string, number> = {
  critical: 0xe74c3c,
  error: 0xe74c3c,
  warning: 0xe67e22,
  info: 0x3498db,
};
const RESOLVED_COLOUR = 0x2ecc71;
const OTHER_COLOUR = 0x95a5a6;
/** Room kept for the "and N more" embed when a group has more alerts than a message has embeds. */
const MORE_EMBED_BUDGET = 900;
/** Labels every alert of a group repeats, or that the title shows already. */
const HIDDEN_LABELS = new Set(['alertname']);
const LINK_LIMIT = 512;

function httpUrl(value: string | undefined): string | null {
  if (!value || value.length > LINK_LIMIT) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function colourOf(alert: AlertInstance): number {
  if (alert.status === 'resolved') return RESOLVED_COLOUR;
  return SEVERITY_COLOURS[alert.labels['severity'] ?? ''] ?? OTHER_COLOUR;
}

const timestamp = (ms: number) => `<t:${Math.floor(ms / 1000)}:R>`;
const code = codeSpan;

function alertEmbed(alert: AlertInstance, budget: number): APIEmbed {
  const icon = alert.status === 'firing' ? '🔥' : '✅';
  const summary = alert.annotations['summary'];
  // Title, labels and description share the embed's part of the message budget.
  // Label values and annotations (templated from labels) are shown as typed: no markdown,
  // mention or masked link in them renders.
  const title = plainText(
    `${icon} ${alertName(alert)}${summary ? `: ${summary}` : ''}`,
    Math.min(LIMITS.embedTitle, Math.floor(budget / 3)),
  );
  const labels = Object.entries(alert.labels)
    .filter(([key]) => !HIDDEN_LABELS.has(key))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => code(`${key}=${value}`))
    .join(' ');
  const started = alertTime(alert.startsAt);
  const ended = alert.status === 'resolved' ? alertTime(alert.endsAt) : null;
  const when = [
    started ? `started ${timestamp(started)}` : null,
    ended ? `resolved ${timestamp(ended)}` : null,
    started && ended ? `after ${formatDuration(ended - started)}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const fields = [
    labels
      ? {
          name: 'Labels',
          value: fitText(
            labels,
            Math.max(40, Math.min(600, budget - title.length - when.length - 'LabelsWhen'.length)),
          ),
        }
      : null,
    when ? { name: 'When', value: when, inline: true } : null,
  ].filter((f): f is { name: string; value: string; inline?: boolean } => f !== null);
  const embed: APIEmbed = { title, color: colourOf(alert), fields };
  const url = httpUrl(alert.generatorURL);
  if (url) embed.url = url;
  const room = Math.min(LIMITS.embedDescription, budget - embedLength(embed));
  const description = alert.annotations['description'];
  if (description && room > 20) embed.description = plainLines(description, room);
  return embed;
}

/** Room kept below a description's limit for the "and N not listed" lines that close it. */
const CLOSING_LINES = 120;

/**
 * The alerts that do not get their own embed, one line each: within the description's own
 * limit (4,096) and within what is left of the message's 6,000 (`budget`), whichever is less.
 */
function moreEmbed(rest: AlertInstance[], truncated: number, budget: number): APIEmbed {
  const total = rest.length + truncated;
  const title = `…and ${total} more alert${total === 1 ? '' : 's'}`;
  const room = Math.min(LIMITS.embedDescription, budget - title.length) - CLOSING_LINES;
  const lines: string[] = [];
  let used = 0;
  for (const alert of rest) {
    const icon = alert.status === 'firing' ? '🔥' : '✅';
    const where = alert.labels['instance'] ?? alert.labels['job'] ?? alert.fingerprint;
    const line = `${icon} ${plainText(alertName(alert), 60)} ${code(fitText(where, 50))}`;
    if (used + line.length + 1 > room) break;
    lines.push(line);
    used += line.length + 1;
  }
  const unlisted = rest.length - lines.length;
  if (unlisted > 0) lines.push(`and ${unlisted} not listed`);
  if (truncated > 0) lines.push(`${truncated} left out by Alertmanager (max_alerts)`);
  return { title, description: lines.join('\n'), color: OTHER_COLOUR };
}

/** The headline's share of the group's labels, and of each value. */
const HEADLINE_LABELS = 400;
const HEADLINE_LABEL_VALUE = 80;

/** The labels Alertmanager grouped by, besides the name and environment shown apart; sorted. */
function groupOwnLabels(groupLabels: Record<string, string>): [string, string][] {
  return Object.entries(groupLabels)
    .filter(([key]) => key !== 'alertname' && key !== 'environment')
    .sort(([a], [b]) => a.localeCompare(b));
}

/**
 * The labels Alertmanager grouped by (besides the name and environment the headline shows
 * already), as code spans: what tells one group of an alert from its siblings.
 */
export function distinguishingLabels(
  groupLabels: Record<string, string>,
  budget = HEADLINE_LABELS,
): string {
  const spans: string[] = [];
  let used = 0;
  const entries = groupOwnLabels(groupLabels);
  for (const [index, [key, value]] of entries.entries()) {
    const span = code(fitText(`${key}=${value}`, HEADLINE_LABEL_VALUE));
    if (used + span.length + 1 > budget) {
      spans.push(`+${entries.length - index}`);
      break;
    }
    spans.push(span);
    used += span.length + 1;
  }
  return spans.length ? ` ${spans.join(' ')}` : '';
}

/** "ApiDown on prod `instance=h1`": what the group is, as markdown safe to show. */
export function alertGroupTitle(state: AlertGroupState, labelBudget = HEADLINE_LABELS): string {
  const name = plainText(
    state.groupLabels['alertname'] ?? state.commonLabels['alertname'] ?? 'Alerts',
    Math.min(200, labelBudget),
  );
  const environment = state.commonLabels['environment'];
  const where = environment ? ` on ${plainText(environment, 100)}` : '';
  return `${name}${where}${distinguishingLabels(state.groupLabels, labelBudget)}`;
}

/** The same as plain text (thread names render no markdown), within `limit`. */
export function alertGroupName(state: AlertGroupState, limit = 100): string {
  const name = state.groupLabels['alertname'] ?? state.commonLabels['alertname'] ?? 'Alerts';
  const environment = state.commonLabels['environment'];
  const labels = groupOwnLabels(state.groupLabels).map(([, value]) => value);
  return fitText(
    [name, environment ? `on ${environment}` : '', ...labels]
      .filter(Boolean)
      .join(' ')
      // eslint-disable-next-line no-control-regex -- control characters are what it drops
      .replace(/[\u0000-\u001f\u007f]+/g, ' '),
    limit,
  );
}

/** "3 alerts", or "120 alerts (100 listed firing)" when Alertmanager listed only some. */
function alertCount(state: AlertGroupState): string {
  const firing = state.alerts.filter((a) => a.status === 'firing').length;
  const held = state.truncatedAlerts > 0 && state.groupSize ? state.groupSize : null;
  if (held) return `${held} alerts (${firing} listed firing)`;
  return firing === 1 ? '1 alert' : `${firing} alerts`;
}

function silencedNote(view: Pick<AlertGroupView, 'silence'>, now: number): string {
  return view.silence && view.silence.until > now
    ? ` · 🔕 silenced by ${plainText(view.silence.by, 100)} until <t:${Math.floor(view.silence.until / 1000)}:t>`
    : '';
}

/** "Resolved after 12m 0s" */
export function resolvedAfter(state: AlertGroupState, now = Date.now()): string {
  return `Resolved after ${formatDuration((state.resolvedAt ?? now) - state.firingSince)}`;
}

function headline(view: AlertGroupView, now: number): string {
  const { state } = view;
  const title = alertGroupTitle(state);
  // When Alertmanager listed only some (`max_alerts`), how many the group held.
  const held = state.truncatedAlerts > 0 && state.groupSize ? state.groupSize : null;
  const after = view.deploy ? `\n${deployLine(view.deploy, state.firingSince)}` : '';
  if (state.status === 'resolved')
    return `✅ **Resolved** after ${formatDuration((state.resolvedAt ?? now) - state.firingSince)}: ${title}${held ? ` · all ${held} alerts` : ''}${after}`;
  const mention = view.mention ? `<@&${view.mention}> ` : '';
  return `${mention}🔥 **Firing**: ${title} · ${alertCount(state)} since ${timestamp(state.firingSince)}${silencedNote(view, now)}${after}`;
}

const VERSION_SHOWN = 40;

/** A version as a code span, a long one (a digest) shortened. */
export function versionSpan(version: string | null): string {
  return version ? code(fitText(version, VERSION_SHOWN)) : '?';
}

/**
 * "🚀 Fired 4m 0s after the deploy of api `v2` → `v3` by bob (live <t:…:R>) · [run](<…>)": the
 * deployment the group followed. The name is shown as typed; the link only if it is http(s).
 */
export function deployLine(deploy: AlertDeployContext, firingSince: number): string {
  const when =
    firingSince < deploy.liveAt
      ? `Fired while the ${deploy.kind} was rolling out`
      : `Fired ${formatDuration(firingSince - deploy.liveAt)} after the ${deploy.kind}`;
  const change =
    deploy.from && deploy.to && deploy.from === deploy.to
      ? `of ${versionSpan(deploy.to)}`
      : `${versionSpan(deploy.from)} → ${versionSpan(deploy.to)}`;
  const url = httpUrl(deploy.link ?? undefined);
  const link = url ? ` · [run](<${url.replaceAll('(', '%28').replaceAll(')', '%29')}>)` : '';
  return `${deploy.kind === 'rollback' ? '↩️' : '🚀'} ${when}: ${plainText(deploy.service, 100)} ${change} by ${plainText(deploy.by, 100)} (live ${timestamp(deploy.liveAt)})${link}`;
}

/**
 * One line of a storm digest within `limit`: its number, state and count always shown; the
 * group's title (name, environment, labels) takes what is left.
 */
export function alertDigestLine(
  view: AlertGroupView,
  number: number,
  now: number,
  limit: number,
): string {
  const { state } = view;
  const icon =
    state.status === 'resolved' ? '✅' : view.silence && view.silence.until > now ? '🔕' : '🔥';
  const head = `**${number}.** ${icon} `;
  const tail =
    state.status === 'resolved'
      ? ` · ${resolvedAfter(state, now).toLowerCase()}`
      : ` · ${alertCount(state)} since ${timestamp(state.firingSince)}`;
  const title = fitText(
    alertGroupTitle(state, 90),
    Math.max(20, limit - head.length - tail.length),
  );
  return `${head}${title}${tail}`;
}

function buttons(view: AlertGroupView): RenderedMessage['components'] {
  const { state } = view;
  const row: APIButtonComponent[] = [];
  const deploy = view.deploy;
  if (state.status === 'firing' && deploy?.rollbackTo)
    row.push({
      type: ComponentType.Button,
      style: ButtonStyle.Danger,
      label: fitText(`Roll back to ${deploy.rollbackTo}`, LIMITS.buttonLabel),
      emoji: { name: '↩️' },
      custom_id: alertRollbackButtonId(deploy.environment, deploy.service, deploy.rollbackTo),
    });
  if (state.status === 'firing') {
    for (const duration of Object.keys(SILENCE_DURATIONS) as SilenceDuration[])
      row.push({
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        label: `Silence ${duration}`,
        emoji: { name: '🔕' },
        custom_id: `${ALERT_BUTTON.silence}${view.id}:${duration}`,
      });
    if (view.redeploy)
      row.push({
        type: ComponentType.Button,
        style: ButtonStyle.Primary,
        label: fitText(`Redeploy ${view.redeploy.service}`, LIMITS.buttonLabel),
        custom_id: `${ALERT_BUTTON.redeploy}${view.redeploy.environment}:${view.redeploy.service}`,
      });
  }
  const runbook = httpUrl(
    state.commonAnnotations['runbook_url'] ?? state.alerts[0]?.annotations['runbook_url'],
  );
  if (runbook)
    row.push({
      type: ComponentType.Button,
      style: ButtonStyle.Link,
      label: 'Runbook',
      url: runbook,
    });
  const alertmanager = httpUrl(state.externalURL);
  if (alertmanager && state.status === 'firing')
    row.push({
      type: ComponentType.Button,
      style: ButtonStyle.Link,
      label: 'Alertmanager',
      url: alertmanager,
    });
  const rows: RenderedMessage['components'] = [];
  for (let i = 0; i < row.length; i += LIMITS.buttonsPerRow)
    rows.push({
      type: ComponentType.ActionRow,
      components: row.slice(i, i + LIMITS.buttonsPerRow),
    });
  return rows;
}

/**
 * One message per alert group: a headline, an embed per alert (at most 10; the rest listed in
 * the last), within Discord's limits whatever the alerts carry. A resolved group renders as
 * "Resolved after 12m" in place of the firing one.
 */
export function renderAlertGroupMessage(view: AlertGroupView, now = Date.now()): RenderedMessage {
  const { alerts, truncatedAlerts } = view.state;
  const overflow = alerts.length > LIMITS.embedsPerMessage || truncatedAlerts > 0;
  const shown = overflow ? alerts.slice(0, LIMITS.embedsPerMessage - 1) : alerts;
  const total = LIMITS.embedTotal - 100;
  const perAlert = Math.floor(
    (total - (overflow ? MORE_EMBED_BUDGET : 0)) / Math.max(1, shown.length),
  );
  const embeds = shown.map((alert) => alertEmbed(alert, perAlert));
  if (overflow) {
    const used = embeds.reduce((sum, e) => sum + embedLength(e), 0);
    embeds.push(moreEmbed(alerts.slice(shown.length), truncatedAlerts, total - used));
  }
  return {
    content: fitText(headline(view, now), LIMITS.content),
    embeds,
    components: buttons(view),
  };
}
