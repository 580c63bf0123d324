import { hostname } from 'node:os';
import {
  AlertActions,
  AlertDeliveryWorker,
  AlertIntake,
  AlertWatchdog,
  createAlertMetrics,
  type AlertMetrics,
} from '@chatops/alerting';
import { AlertCorrelator } from '@chatops/deployments';
import type { ApiParts } from '../clients';

/** Everything behind /v1/alerts and /v1/silences, built once per process. */
export interface AlertingMachinery {
  /** Null: the intake answers 503 (no ALERTMANAGER_WEBHOOK_TOKEN). */
  webhookToken: string | null;
  /** Null: nowhere to deliver (no DISCORD_TOKEN or ALERTS_CHANNEL_ID); the intake answers 503. */
  intake: AlertIntake | null;
  worker: AlertDeliveryWorker | null;
  actions: AlertActions;
  metrics: AlertMetrics;
  start(): void;
  stop(): Promise<void>;
}

export function buildAlertingMachinery({
  config,
  catalog,
  repositories,
  registry,
  logger,
  clients,
}: ApiParts): AlertingMachinery {
  const { discord: channel, alertmanager } = clients;
  const metrics = createAlertMetrics(registry, repositories.outbox);
  const worker =
    channel && config.ALERTS_CHANNEL_ID
      ? new AlertDeliveryWorker(repositories, channel, {
          channelId: config.ALERTS_CHANNEL_ID,
          catalog,
          metrics,
          log: logger,
          correlation: new AlertCorrelator(catalog, repositories),
          instanceId: config.INSTANCE_ID ?? `${hostname()}:${config.PORT}`,
        })
      : null;
  const watchdog = worker
    ? new AlertWatchdog(
        repositories,
        {
          alertname: config.ALERT_WATCHDOG_ALERTNAME,
          timeoutMs: config.ALERT_WATCHDOG_TIMEOUT_MS,
          log: logger,
        },
        () => worker.wake(),
      )
    : null;
  const intake = worker
    ? new AlertIntake(repositories.outbox, metrics, () => worker.wake(), watchdog)
    : null;
  const actions = new AlertActions(catalog, repositories, alertmanager, {
    onRender: () => worker?.wake(),
  });
  return {
    webhookToken: config.ALERTMANAGER_WEBHOOK_TOKEN ?? null,
    intake,
    worker,
    actions,
    metrics,
    start: () => {
      worker?.start();
      watchdog?.start();
    },
    stop: async () => {
      watchdog?.stop();
      await worker?.stop();
    },
  };
}
