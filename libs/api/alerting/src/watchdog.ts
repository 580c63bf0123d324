import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { type AlertmanagerNotification, systemClock, type Clock } from '@chatops/domain';
import type { Repositories } from '@chatops/persistence';
import { ALERT_TOPIC, type AlertOutboxPayload } from './topic';

export interface AlertWatchdogOptions {
  /** The alertname of the rule that always fires (deploy/monitoring/rules/chatops.yml). */
  alertname: string;
  /** Reported missing when it has not arrived for this long. */
  timeoutMs: number;
  /** How often to look. Default: a quarter of the timeout, at most 15 s. */
  checkMs?: number;
  log?: Pick<Logger, 'warn' | 'info'>;
  clock?: Clock;
}

/** The alert the relay raises about the path from Prometheus to itself. */
export const WATCHDOG_MISSING_ALERTNAME = 'AlertmanagerWatchdogMissing';

/**
 * A dead man's switch for Prometheus → Alertmanager → this API: the watchdog alert always fires
 * and Alertmanager sends it every minute. It is never shown; when it stops arriving, a critical
 * alert of the relay's own goes through the ordinary outbox and delivery (so it is durable and
 * rendered like any other), and is resolved when the watchdog is back. The transitions are
 * conditional writes and the outbox entries carry dedupe keys, so replicas report each once.
 */
export class AlertWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: Clock;

  constructor(
    private readonly repositories: Pick<Repositories, 'outbox' | 'alertHeartbeats'>,
    private readonly options: AlertWatchdogOptions,
    /** Called after something was put in the outbox: wakes the delivery worker. */
    private readonly onEnqueued: () => void = () => undefined,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Every alert it carries is the watchdog. */
  isWatchdog(notification: AlertmanagerNotification): boolean {
    return notification.alerts.every((a) => a.labels['alertname'] === this.options.alertname);
  }

  /** The watchdog arrived: note it, and resolve the relay's alert if it was missing. */
  async beat(): Promise<void> {
    const name = this.options.alertname;
    const before = await this.repositories.alertHeartbeats.beat(name);
    if (before?.missingSince == null) return;
    await this.enqueue('resolved', before.missingSince);
    await this.repositories.alertHeartbeats.clearMissing(name, before.missingSince);
    this.options.log?.info({ alertname: name }, 'the watchdog arrives again');
  }

  /** Reports the watchdog missing once it is overdue; true when this call reported it. */
  async check(): Promise<boolean> {
    const name = this.options.alertname;
    const heartbeat = await this.repositories.alertHeartbeats.get(name);
    // Never seen: no watchdog is configured to reach us, nothing to miss.
    if (!heartbeat || heartbeat.missingSince !== null) return false;
    if (this.clock.now() - heartbeat.lastSeenAt < this.options.timeoutMs) return false;
    // Enqueued before the mark: a crash in between reports again, and the dedupe key keeps one.
    await this.enqueue('firing', heartbeat.lastSeenAt);
    if (await this.repositories.alertHeartbeats.markMissing(name, heartbeat.lastSeenAt)) {
      this.options.log?.warn(
        { alertname: name, lastSeenAt: new Date(heartbeat.lastSeenAt).toISOString() },
        'the watchdog has stopped arriving',
      );
      return true;
    }
    // Another replica marked it (its report is the same outbox entry): nothing more to do. Or it
    // arrived between the read and the mark: take the report back.
    const after = await this.repositories.alertHeartbeats.get(name);
    if (after?.lastSeenAt !== heartbeat.lastSeenAt)
      await this.enqueue('resolved', heartbeat.lastSeenAt);
    return false;
  }

  start(): void {
    if (this.timer) return;
    const every =
      this.options.checkMs ?? Math.min(15_000, Math.max(250, this.options.timeoutMs / 4));
    this.timer = setInterval(() => {
      this.check().catch((error: unknown) =>
        this.options.log?.warn({ err: error }, 'could not check the watchdog'),
      );
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async enqueue(status: 'firing' | 'resolved', lastSeenAt: number): Promise<void> {
    const name = this.options.alertname;
    const payload: AlertOutboxPayload = {
      type: 'notification',
      notification: this.notification(status, lastSeenAt),
    };
    const { created } = await this.repositories.outbox.enqueue({
      topic: ALERT_TOPIC,
      dedupeKey: `watchdog:${name}:${lastSeenAt}:${status}`,
      payload,
    });
    if (created) this.onEnqueued();
  }

  /** Shaped as Alertmanager's webhook body, so it folds and renders as any alert group does. */
  private notification(
    status: 'firing' | 'resolved',
    lastSeenAt: number,
  ): AlertmanagerNotification {
    const name = this.options.alertname;
    const since = new Date(lastSeenAt).toISOString();
    const labels = { alertname: WATCHDOG_MISSING_ALERTNAME, severity: 'critical', relay: 'self' };
    const annotations = {
      summary: `Alertmanager's ${name} alert has stopped arriving`,
      description:
        `${name} always fires and Alertmanager sends it every minute; none has reached the API ` +
        `since ${since}. Alerts from Prometheus may not be reaching Discord: check Prometheus, ` +
        `Alertmanager, and its route and bearer token to /v1/alerts/alertmanager.`,
    };
    return {
      version: '4',
      groupKey: `chatops-watchdog:${name}`,
      truncatedAlerts: 0,
      status,
      receiver: 'chatops-watchdog',
      groupLabels: { alertname: WATCHDOG_MISSING_ALERTNAME },
      commonLabels: labels,
      commonAnnotations: annotations,
      externalURL: '',
      alerts: [
        {
          status,
          labels,
          annotations,
          // When it was declared missing: later than the end of any earlier report.
          startsAt: new Date(lastSeenAt + this.options.timeoutMs).toISOString(),
          endsAt:
            status === 'resolved'
              ? new Date(this.clock.now()).toISOString()
              : '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: createHash('sha256')
            .update(`${name}:${lastSeenAt}`)
            .digest('hex')
            .slice(0, 16),
        },
      ],
    };
  }
}
