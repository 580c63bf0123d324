import { createHash } from 'node:crypto';
import { z } from 'zod';
import { zodProblems, type AlertmanagerNotification } from '@chatops/domain';

const time = z.string().refine((value) => !Number.isNaN(Date.parse(value)), {
  message: 'must be an RFC 3339 time',
});
const labelSet = z.record(
  z.string().min(1).max(256),
  z.string().max(16_384, { message: 'must be at most 16384 characters' }),
);

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: time,
  endsAt: time,
  generatorURL: z.string().max(4096).default(''),
  fingerprint: z.string().min(1).max(64),
});

/**
 * Alertmanager's webhook body, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * Unknown fields are ignored, as Alertmanager may add some.
 */
export const alertmanagerNotificationSchema = z.object({
  version: z.literal('4', { message: 'must be "4" (Alertmanager webhook format version 4)' }),
  groupKey: z.string().min(1).max(8192),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().min(1).max(256),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().max(4096).default(''),
  alerts: z
    .array(alertSchema)
    .min(1, { message: 'must hold at least one alert' })
    .max(5000, { message: 'must hold at most 5000 alerts (set max_alerts)' }),
});

export class InvalidAlertNotificationError extends Error {
  constructor(readonly problems: string[]) {
    super(`not an Alertmanager webhook notification (version 4): ${problems.join('; ')}`);
    this.name = 'InvalidAlertNotificationError';
  }
}

export function parseAlertNotification(body: unknown): AlertmanagerNotification {
  const result = alertmanagerNotificationSchema.safeParse(body);
  if (result.success) return result.data;
  throw new InvalidAlertNotificationError(
    zodProblems(result.error.issues.slice(0, 20), { whole: '(body)' }),
  );
}

/**
 * The same notification sent twice (Alertmanager retrying, or both members of an HA pair
 * notifying) has the same key: the group, its status and each alert's state. Annotations and
 * the sender's URL are left out: they differ between HA members and do not make a new event.
 */
export function notificationDedupeKey(n: AlertmanagerNotification): string {
  const alerts = n.alerts
    .map((a) => [a.fingerprint, a.status, a.startsAt, a.endsAt])
    .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
  return createHash('sha256')
    .update(JSON.stringify([n.receiver, n.groupKey, n.status, alerts]))
    .digest('hex');
}
