/**
 * Alert groups as Alertmanager notifies them (webhook format version 4), and how successive
 * notifications of one group fold into the state its Discord message shows.
 *
 * Folding is order-independent and idempotent: the same notification twice (a retry, an
 * Alertmanager HA pair) changes nothing, and an old notification delivered late cannot undo a
 * newer one. The delivery worker relies on that to retry freely after a crash.
 */
export type AlertStatus = 'firing' | 'resolved';

export interface AlertInstance {
  fingerprint: string;
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339; Alertmanager sends the zero time (0001-01-01…) while an alert fires. */
  endsAt: string;
  generatorURL: string;
}

export interface AlertmanagerNotification {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: AlertStatus;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertInstance[];
}

export interface AlertGroupState {
  status: AlertStatus;
  /** Starts at 1; a group that fires again after resolving starts a new episode (a new message). */
  episode: number;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  /** Alerts Alertmanager left out of the latest notification (`max_alerts`). */
  truncatedAlerts: number;
  /** How many alerts the group held by the latest notification, listed or not. */
  groupSize?: number;
  /** Firing first, then by start time, newest first. */
  alerts: AlertInstance[];
  /** Epoch ms: when the episode's first alert started. */
  firingSince: number;
  /** Epoch ms: when the last alert of the episode ended; null while any fires. */
  resolvedAt: number | null;
  /**
   * Epoch ms: the latest group-level resolve. Alerts that started by then are resolved,
   * listed in it or not (absent until a group-level resolve arrived).
   */
  resolvedThrough?: number;
}

export interface FoldResult {
  state: AlertGroupState;
  /** Anything the message shows changed. */
  changed: boolean;
  /** The group fired again after it had resolved: post a new message. */
  newEpisode: boolean;
}

/** The most alerts one group keeps; resolved ones are dropped first. */
export const MAX_ALERTS_PER_GROUP = 500;

export function alertTime(value: string): number | null {
  const ms = Date.parse(value);
  // Go's zero time (year 1) means "not set".
  return Number.isNaN(ms) || ms <= 0 ? null : ms;
}

/** Which of two versions of one alert is the newer: a later start, or the same start resolved. */
function supersedes(candidate: AlertInstance, current: AlertInstance): boolean {
  const a = alertTime(candidate.startsAt) ?? 0;
  const b = alertTime(current.startsAt) ?? 0;
  if (a !== b) return a > b;
  if (candidate.status !== current.status) return candidate.status === 'resolved';
  // Same start and status: a later end (a resolved alert re-sent) or new annotations win.
  return (
    (alertTime(candidate.endsAt) ?? 0) >= (alertTime(current.endsAt) ?? 0) &&
    JSON.stringify(candidate) !== JSON.stringify(current)
  );
}

function ordered(alerts: Iterable<AlertInstance>): AlertInstance[] {
  const list = [...alerts].sort(
    (x, y) =>
      (x.status === 'firing' ? 0 : 1) - (y.status === 'firing' ? 0 : 1) ||
      (alertTime(y.startsAt) ?? 0) - (alertTime(x.startsAt) ?? 0) ||
      x.fingerprint.localeCompare(y.fingerprint),
  );
  return list.slice(0, MAX_ALERTS_PER_GROUP);
}

export function foldNotification(
  previous: AlertGroupState | null,
  notification: AlertmanagerNotification,
  now: number,
): FoldResult {
  const byFingerprint = new Map((previous?.alerts ?? []).map((a) => [a.fingerprint, a]));
  let alertsChanged = false;
  for (const alert of notification.alerts) {
    const current = byFingerprint.get(alert.fingerprint);
    if (!current || supersedes(alert, current)) {
      byFingerprint.set(alert.fingerprint, alert);
      alertsChanged = true;
    }
  }
  // Alertmanager says `resolved` of a group only when all its alerts are, including those
  // `max_alerts` left out of the list: every alert that started by then resolved with it,
  // whichever order the notifications come in (a late resolve cannot end newer alerts).
  let resolvedThrough = previous?.resolvedThrough ?? null;
  if (notification.status === 'resolved') {
    const ends = notification.alerts
      .map((a) => alertTime(a.endsAt))
      .filter((t): t is number => t !== null);
    const endedAt = ends.length ? Math.max(...ends) : now;
    resolvedThrough = Math.max(resolvedThrough ?? 0, endedAt);
  }
  if (resolvedThrough !== null) {
    for (const [fingerprint, alert] of byFingerprint) {
      if (alert.status !== 'firing' || (alertTime(alert.startsAt) ?? 0) > resolvedThrough) continue;
      byFingerprint.set(fingerprint, {
        ...alert,
        status: 'resolved',
        endsAt: new Date(resolvedThrough).toISOString(),
      });
      alertsChanged = true;
    }
  }
  let alerts = [...byFingerprint.values()];
  const firing = alerts.some((a) => a.status === 'firing');
  const newEpisode = previous?.status === 'resolved' && firing;
  if (newEpisode) {
    // The earlier episode's alerts belong to the earlier message.
    const incoming = new Set(notification.alerts.map((a) => a.fingerprint));
    alerts = alerts.filter((a) => a.status === 'firing' || incoming.has(a.fingerprint));
  }
  const starts = alerts.map((a) => alertTime(a.startsAt)).filter((t): t is number => t !== null);
  const ends = alerts.map((a) => alertTime(a.endsAt)).filter((t): t is number => t !== null);
  const firingSince =
    previous && !newEpisode
      ? Math.min(previous.firingSince, ...starts)
      : starts.length
        ? Math.min(...starts)
        : now;
  const state: AlertGroupState = {
    status: firing ? 'firing' : 'resolved',
    episode: (previous?.episode ?? 0) + (newEpisode ? 1 : previous ? 0 : 1),
    groupLabels: notification.groupLabels,
    commonLabels: notification.commonLabels,
    commonAnnotations: notification.commonAnnotations,
    externalURL: notification.externalURL,
    truncatedAlerts: notification.truncatedAlerts,
    groupSize: notification.alerts.length + notification.truncatedAlerts,
    alerts: ordered(alerts),
    firingSince,
    resolvedAt: firing ? null : ends.length ? Math.max(...ends) : now,
    ...(resolvedThrough !== null ? { resolvedThrough } : {}),
  };
  const changed =
    !previous ||
    alertsChanged ||
    previous.status !== state.status ||
    previous.truncatedAlerts !== state.truncatedAlerts ||
    JSON.stringify(previous.commonLabels) !== JSON.stringify(state.commonLabels);
  return { state, changed, newEpisode };
}

/** The alert's name, as rules set it. */
export function alertName(alert: Pick<AlertInstance, 'labels'>): string {
  return alert.labels['alertname'] ?? 'alert';
}

/** A firing alert as `/alerts` lists it (from Alertmanager's API). */
export interface FiringAlert {
  fingerprint: string;
  name: string;
  severity: string | null;
  summary: string | null;
  labels: Record<string, string>;
  /** Epoch ms. */
  startsAt: number;
  /** Muted by a silence or an inhibition. */
  state: 'active' | 'suppressed' | 'unprocessed';
  silencedBy: string[];
  generatorURL: string | null;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

/** A silence as `/silences` lists it. */
export interface SilenceSummary {
  id: string;
  state: 'active' | 'pending' | 'expired';
  matchers: SilenceMatcher[];
  createdBy: string;
  comment: string;
  /** Epoch ms. */
  startsAt: number;
  endsAt: number;
}

/** `name="value"`, `name=~"regex"`, `name!="value"` as Alertmanager writes matchers. */
export function formatMatcher(m: SilenceMatcher): string {
  const op = `${m.isEqual ? '=' : '!='}${m.isRegex ? '~' : ''}`.replace('!=~', '!~');
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

/** The environment a silence is confined to (an exact `environment` matcher), for permissions. */
export function silenceEnvironment(matchers: readonly SilenceMatcher[]): string | null {
  const match = matchers.find((m) => m.name === 'environment' && m.isEqual && !m.isRegex);
  return match?.value ?? null;
}

/** How long a silence from an alert's buttons lasts: the choices the message offers. */
export const SILENCE_DURATIONS = { '1h': 3_600_000, '4h': 4 * 3_600_000 } as const;
export type SilenceDuration = keyof typeof SILENCE_DURATIONS;
