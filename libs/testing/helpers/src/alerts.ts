import type { AlertInstance, AlertmanagerNotification } from '@chatops/domain';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** An alert as Alertmanager sends it in a webhook (firing unless `endsAt` is given). */
export function alertInstance(
  fingerprint: string,
  overrides: Partial<AlertInstance> & { labels?: Record<string, string> } = {},
): AlertInstance {
  const status = overrides.status ?? (overrides.endsAt ? 'resolved' : 'firing');
  return {
    fingerprint,
    status,
    startsAt: '2026-11-21T10:00:00Z',
    endsAt: ZERO_TIME,
    generatorURL: `http://prometheus:9090/graph?g0.expr=up%3D%3D0&fp=${fingerprint}`,
    annotations: {
      summary: `Target ${fingerprint} is down`,
      description: `${fingerprint} has not answered scrapes for 2 minutes.`,
      runbook_url: 'https://runbooks.example.com/target-down',
    },
    ...overrides,
    labels: {
      alertname: 'TargetDown',
      severity: 'critical',
      instance: `${fingerprint}:9100`,
      ...overrides.labels,
    },
  };
}

/** A version 4 webhook notification for one group; its status follows its alerts. */
export function alertNotification(
  alerts: AlertInstance[],
  overrides: Partial<AlertmanagerNotification> = {},
): AlertmanagerNotification {
  const groupLabels = overrides.groupLabels ?? { alertname: alerts[0]?.labels['alertname'] ?? 'x' };
  const common = (key: 'labels' | 'annotations') =>
    Object.fromEntries(
      Object.entries(alerts[0]?.[key] ?? {}).filter(([k, v]) =>
        alerts.every((a) => a[key][k] === v),
      ),
    );
  return {
    version: '4',
    groupKey: `{}:{alertname="${groupLabels['alertname'] ?? ''}"}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'discord',
    groupLabels,
    commonLabels: common('labels'),
    commonAnnotations: common('annotations'),
    externalURL: 'http://alertmanager:9093',
    alerts,
    ...overrides,
  };
}

/** The same alert, resolved at `endsAt`. */
export function resolved(alert: AlertInstance, endsAt = '2026-11-21T10:12:00Z'): AlertInstance {
  return { ...alert, status: 'resolved', endsAt };
}
