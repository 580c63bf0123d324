import { Counter, Gauge, type Registry } from 'prom-client';
import type { OutboxRepository } from '@chatops/persistence';
import { ALERT_TOPIC } from './topic';

export type IntakeOutcome = 'accepted' | 'duplicate' | 'invalid' | 'unauthorized' | 'watchdog';
export type DeliveryOutcome = 'delivered' | 'retried' | 'failed';

/** What intake and delivery report; `silentAlertMetrics` when nothing scrapes them. */
export interface AlertMetrics {
  received(outcome: IntakeOutcome): void;
  /** Notifications (outbox messages) whose Discord message is up to date, put off, or given up. */
  delivery(outcome: DeliveryOutcome, count?: number): void;
  /** A Discord call: a new message or an edit. */
  discord(action: 'post' | 'edit'): void;
}

export const silentAlertMetrics: AlertMetrics = {
  received: () => undefined,
  delivery: () => undefined,
  discord: () => undefined,
};

export function createAlertMetrics(registry: Registry, outbox: OutboxRepository): AlertMetrics {
  const received = new Counter({
    name: 'alert_notifications_received_total',
    help: 'Alertmanager notifications received, by outcome (accepted, duplicate, invalid, unauthorized, watchdog)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'alert_deliveries_total',
    help: 'Alert notifications by delivery outcome: delivered to Discord, retried later, failed for good',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const discord = new Counter({
    name: 'alert_discord_requests_total',
    help: 'Discord calls made for alert messages, by action (post, edit)',
    labelNames: ['action'],
    registers: [registry],
  });
  for (const outcome of ['accepted', 'duplicate', 'invalid', 'unauthorized', 'watchdog'])
    received.inc({ outcome }, 0);
  for (const outcome of ['delivered', 'retried', 'failed']) deliveries.inc({ outcome }, 0);
  const backlog = async () => (await outbox.backlog()).find((b) => b.topic === ALERT_TOPIC);
  new Gauge({
    name: 'alert_delivery_backlog',
    help: 'Alert notifications waiting for delivery to Discord',
    registers: [registry],
    async collect() {
      this.set((await backlog())?.pending ?? 0);
    },
  });
  new Gauge({
    name: 'alert_delivery_failed',
    help: 'Alert notifications given up on (kept in the outbox for an operator)',
    registers: [registry],
    async collect() {
      this.set((await backlog())?.failed ?? 0);
    },
  });
  new Gauge({
    name: 'alert_delivery_oldest_pending_seconds',
    help: 'Age of the oldest alert notification waiting for delivery (0 when none waits)',
    registers: [registry],
    async collect() {
      const oldest = (await backlog())?.oldestPendingAt;
      this.set(oldest ? Math.max(0, (Date.now() - oldest) / 1000) : 0);
    },
  });
  return {
    received: (outcome) => received.inc({ outcome }),
    delivery: (outcome, count = 1) => deliveries.inc({ outcome }, count),
    discord: (action) => discord.inc({ action }),
  };
}
