import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  AlertActions,
  AlertDeliveryWorker,
  AlertIntake,
  AlertWatchdog,
  createAlertMetrics,
  type AlertMetrics,
} from '@chatops/alerting';
import { HttpAlertmanagerRepository, type AlertmanagerRepository } from '@chatops/alertmanager';
import type { DiscordChannelRepository } from '@chatops/discord-channel';
import type { Catalog } from '@chatops/domain';
import type { Repositories } from '@chatops/persistence';
import type { ApiConfig } from '../../config';
import { discordChannelFrom } from '../discord';

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

export function buildAlertingMachinery(
  config: ApiConfig,
  catalog: Catalog,
  repositories: Repositories,
  registry: Registry,
  logger: Logger,
  /** The process's one Discord client, shared with the deployment progress messages. */
  channel: DiscordChannelRepository | null = discordChannelFrom(config),
  alertmanager: AlertmanagerRepository | null = config.ALERTMANAGER_URL
    ? new HttpAlertmanagerRepository(config.ALERTMANAGER_URL)
    : null,
): AlertingMachinery {
  const metrics = createAlertMetrics(registry, repositories.outbox);
  const worker =
    channel && config.ALERTS_CHANNEL_ID
      ? new AlertDeliveryWorker(repositories, channel, {
          channelId: config.ALERTS_CHANNEL_ID,
          catalog,
          metrics,
          log: logger,
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
