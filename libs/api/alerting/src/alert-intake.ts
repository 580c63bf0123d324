import type { EnqueueMessage, OutboxRepository } from '@chatops/persistence';
import { GroupCommit } from './group-commit';
import type { AlertMetrics } from './alert-metrics';
import {
  InvalidAlertNotificationError,
  notificationDedupeKey,
  parseAlertNotification,
} from './notification';
import { ALERT_TOPIC, type AlertOutboxPayload } from './topic';
import type { AlertWatchdog } from './watchdog';

export interface IntakeResult {
  /** The outbox message holding the notification; null for the watchdog (never shown). */
  id: number | null;
  duplicate: boolean;
  watchdog: boolean;
}

/**
 * `POST /v1/alerts/alertmanager` behind the HTTP layer: a valid notification is in the outbox
 * (committed) before this returns, so answering 202 afterwards loses nothing even if the
 * process dies the next instant. A notification seen before is not stored twice.
 */
export class AlertIntake {
  private readonly writes: GroupCommit<EnqueueMessage, { id: number; created: boolean }>;

  constructor(
    outbox: OutboxRepository,
    private readonly metrics: AlertMetrics,
    /** Called after a new notification is stored: wakes the delivery worker. */
    private readonly onAccepted: () => void = () => undefined,
    /** Recognises the always-firing watchdog and notes its arrival instead of showing it. */
    private readonly watchdog: AlertWatchdog | null = null,
  ) {
    this.writes = new GroupCommit((messages) => outbox.enqueueAll(messages));
  }

  async accept(body: unknown): Promise<IntakeResult> {
    let notification;
    try {
      notification = parseAlertNotification(body);
    } catch (error) {
      if (error instanceof InvalidAlertNotificationError) this.metrics.received('invalid');
      throw error;
    }
    if (this.watchdog?.isWatchdog(notification)) {
      // Only a firing watchdog proves the path: Alertmanager resolves it when Prometheus stops
      // sending it, and that notice is the opposite of a heartbeat.
      if (notification.alerts.some((a) => a.status === 'firing')) await this.watchdog.beat();
      this.metrics.received('watchdog');
      return { id: null, duplicate: false, watchdog: true };
    }
    const payload: AlertOutboxPayload = { type: 'notification', notification };
    const { id, created } = await this.writes.add({
      topic: ALERT_TOPIC,
      dedupeKey: notificationDedupeKey(notification),
      payload,
    });
    this.metrics.received(created ? 'accepted' : 'duplicate');
    if (created) this.onAccepted();
    return { id, duplicate: !created, watchdog: false };
  }
}
