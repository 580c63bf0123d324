import { alertInstance, alertNotification, resolved } from '@chatops/testing';
import {
  InvalidAlertNotificationError,
  notificationDedupeKey,
  parseAlertNotification,
} from '../src/notification';

/** A body as Alertmanager 0.25 sends it (nanosecond times, the zero time while firing). */
const fromAlertmanager = {
  receiver: 'chatops',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'ApiDown',
        environment: 'staging',
        service: 'api',
        severity: 'critical',
      },
      annotations: { summary: 'api is down', runbook_url: 'https://runbooks/api-down' },
      startsAt: '2026-11-21T10:00:00.123456789Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=up%7Bjob%3D%22api%22%7D+%3D%3D+0',
      fingerprint: '5b1c8e3f0a9d2c41',
    },
  ],
  groupLabels: { alertname: 'ApiDown' },
  commonLabels: {
    alertname: 'ApiDown',
    environment: 'staging',
    service: 'api',
    severity: 'critical',
  },
  commonAnnotations: { summary: 'api is down' },
  externalURL: 'http://alertmanager:9093',
  version: '4',
  groupKey: '{}:{alertname="ApiDown"}',
  truncatedAlerts: 0,
};

describe('Alertmanager webhook notifications', () => {
  it('accepts what Alertmanager sends', () => {
    const n = parseAlertNotification(fromAlertmanager);
    expect(n.alerts[0]?.fingerprint).toBe('5b1c8e3f0a9d2c41');
    expect(n.receiver).toBe('chatops');
  });

  it('lists every problem of a body that is not one', () => {
    const bad = {
      ...fromAlertmanager,
      version: '3',
      alerts: [{ ...fromAlertmanager.alerts[0], startsAt: 'yesterday', fingerprint: '' }],
    };
    delete (bad as Partial<typeof bad>).groupKey;
    const error = (() => {
      try {
        parseAlertNotification(bad);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(InvalidAlertNotificationError);
    expect((error as InvalidAlertNotificationError).problems).toEqual([
      'version: must be "4" (Alertmanager webhook format version 4)',
      'groupKey: Invalid input: expected string, received undefined',
      'alerts.0.startsAt: must be an RFC 3339 time',
      'alerts.0.fingerprint: Too small: expected string to have >=1 characters',
    ]);
    expect(() => parseAlertNotification({ ...fromAlertmanager, alerts: [] })).toThrow(
      'alerts: must hold at least one alert',
    );
    expect(() => parseAlertNotification('[]')).toThrow(InvalidAlertNotificationError);
  });

  it('gives the same notification from both members of an HA pair one key, and a change another', () => {
    const a = alertInstance('a');
    const n = alertNotification([a]);
    const fromPeer = {
      ...n,
      externalURL: 'http://alertmanager-2:9093',
      alerts: [{ ...a, annotations: {} }],
    };
    expect(notificationDedupeKey(fromPeer)).toBe(notificationDedupeKey(n));
    expect(notificationDedupeKey(alertNotification([resolved(a)]))).not.toBe(
      notificationDedupeKey(n),
    );
    expect(notificationDedupeKey(alertNotification([a, alertInstance('b')]))).not.toBe(
      notificationDedupeKey(n),
    );
  });
});
