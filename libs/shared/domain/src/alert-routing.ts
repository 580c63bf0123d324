import { z } from 'zod';
import type { AlertGroupState } from './alerts';
import { RESOURCE_NAME_PATTERN, RESOURCE_NAME_RULE } from './names';

export const snowflake = (what: string) =>
  z.string().regex(/^\d{17,20}$/, { message: `must be a Discord ${what} id (17–20 digits)` });

const severity = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, {
  message: 'must be a severity label value such as critical',
});

const alertRouteSchema = z.strictObject({
  /** Environments the route takes (the alerts' `environment` label); absent: any. */
  environments: z
    .array(z.string().regex(RESOURCE_NAME_PATTERN, { message: `must be ${RESOURCE_NAME_RULE}` }))
    .min(1)
    .optional(),
  /** Severities the route takes (the alerts' `severity` label); absent: any. */
  severities: z.array(severity).min(1).optional(),
  /** Where the matching groups are posted. */
  channel: snowflake('channel'),
});

/** The catalog's `alerts`: where alert groups go, whom they page, when a storm is digested. */
export const alertRoutingSchema = z
  .strictObject({
    /** First match wins; a group no route takes goes to ALERTS_CHANNEL_ID. */
    routes: z.array(alertRouteSchema).max(50).default([]),
    /** The role a firing group of these severities mentions (and only that role). */
    onCall: z
      .strictObject({
        role: snowflake('role'),
        severities: z.array(severity).min(1).default(['critical']),
      })
      .optional(),
    /**
     * More groups than this waiting for one channel at once is a storm: one digest message lists
     * them instead of a message each.
     */
    stormThreshold: z.number().int().min(1).max(1000).default(20),
  })
  .default({ routes: [], stormThreshold: 20 });

export type AlertRouting = z.output<typeof alertRoutingSchema>;

export interface AlertRoute {
  channelId: string;
  /** The on-call role the message mentions and may ping; null: it pings nobody. */
  mentionRole: string | null;
}

const SEVERITY_RANK = ['critical', 'error', 'warning', 'info'];
const rank = (value: string) => {
  const index = SEVERITY_RANK.indexOf(value.toLowerCase());
  return index < 0 ? SEVERITY_RANK.length : index;
};

/**
 * The group's severity: the common one, or else the most severe among its firing alerts (then
 * among all): a group mixing critical and warning alerts is critical.
 */
export function groupSeverity(state: AlertGroupState): string | null {
  const common = state.commonLabels['severity'];
  if (common) return common;
  const firing = state.alerts.filter((a) => a.status === 'firing');
  const values = (firing.length ? firing : state.alerts)
    .map((a) => a.labels['severity'])
    .filter((v): v is string => Boolean(v));
  return values.sort((a, b) => rank(a) - rank(b))[0] ?? null;
}

/** Where a group's message goes and whom it mentions, by its environment and severity. */
export function routeAlertGroup(
  routing: AlertRouting,
  state: AlertGroupState,
  defaultChannelId: string,
): AlertRoute {
  const environment = state.commonLabels['environment'];
  const severity = groupSeverity(state);
  const route = routing.routes.find(
    (r) =>
      (!r.environments || (environment !== undefined && r.environments.includes(environment))) &&
      (!r.severities || (severity !== null && r.severities.includes(severity))),
  );
  const pages =
    routing.onCall !== undefined &&
    state.status === 'firing' &&
    severity !== null &&
    routing.onCall.severities.includes(severity);
  return {
    channelId: route?.channel ?? defaultChannelId,
    mentionRole: pages ? (routing.onCall?.role ?? null) : null,
  };
}

/** Every channel alerts may go to: the default and each route's. */
export function alertChannels(routing: AlertRouting, defaultChannelId: string): string[] {
  return [...new Set([defaultChannelId, ...routing.routes.map((r) => r.channel)])];
}
