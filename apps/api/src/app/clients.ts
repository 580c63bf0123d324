import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { HttpAlertmanagerRepository, type AlertmanagerRepository } from '@chatops/alertmanager';
import { AwsFleetRepository, type FleetRepository } from '@chatops/aws-fleet';
import {
  RestDiscordChannelRepository,
  type DiscordChannelRepository,
} from '@chatops/discord-channel';
import type { Catalog } from '@chatops/domain';
import { GithubAuth, GithubRepository, OctokitGithubRepository } from '@chatops/github';
import type { Repositories } from '@chatops/persistence';
import { HttpPrometheusRepository, type PrometheusRepository } from '@chatops/prometheus';
import type { ApiConfig } from '../config';

/**
 * One client per external system, built once per process by the composition root (main.ts) and
 * shared by every part that talks to it: the Discord client's queues and share of the bot
 * token's global budget serve both the progress edits and the alert posts. Null: not configured.
 */
export interface ApiClients {
  github: GithubRepository | null;
  fleet: FleetRepository | null;
  discord: DiscordChannelRepository | null;
  alertmanager: AlertmanagerRepository | null;
  prometheus: PrometheusRepository | null;
}

/** What each part of the API (deployments, alerting) is built from. */
export interface ApiParts {
  config: ApiConfig;
  catalog: Catalog;
  repositories: Repositories;
  registry: Registry;
  logger: Logger;
  clients: ApiClients;
}

export function buildClients(config: ApiConfig, catalog: Catalog, logger: Logger): ApiClients {
  return {
    github: githubFrom(config, catalog, logger),
    fleet: fleetFrom(config),
    discord: discordChannelFrom(config),
    alertmanager: config.ALERTMANAGER_URL
      ? new HttpAlertmanagerRepository(config.ALERTMANAGER_URL)
      : null,
    prometheus: config.PROMETHEUS_URL ? new HttpPrometheusRepository(config.PROMETHEUS_URL) : null,
  };
}

export function githubAuthFrom(config: ApiConfig): GithubAuth | null {
  if (config.GITHUB_TOKEN) return { kind: 'token', token: config.GITHUB_TOKEN };
  if (config.GITHUB_APP_ID && config.GITHUB_APP_PRIVATE_KEY && config.GITHUB_APP_INSTALLATION_ID)
    return {
      kind: 'app',
      appId: config.GITHUB_APP_ID,
      privateKey: config.GITHUB_APP_PRIVATE_KEY,
      installationId: config.GITHUB_APP_INSTALLATION_ID,
    };
  return null;
}

function fleetFrom(config: ApiConfig): FleetRepository | null {
  if (!config.AWS_REGION) return null;
  return AwsFleetRepository.create({
    region: config.AWS_REGION,
    endpoint: config.AWS_ENDPOINT_URL,
  });
}

function githubFrom(config: ApiConfig, catalog: Catalog, logger: Logger): GithubRepository | null {
  const auth = githubAuthFrom(config);
  if (!auth) return null;
  return new OctokitGithubRepository({
    owner: catalog.github.owner,
    repo: catalog.github.repo,
    auth,
    baseUrl: config.GITHUB_API_URL,
    writeIntervalMs: config.GITHUB_WRITE_INTERVAL_MS,
    dispatchDeadlineMs: config.GITHUB_DISPATCH_DEADLINE_MS,
    log: logger,
  });
}

function discordChannelFrom(config: ApiConfig): DiscordChannelRepository | null {
  if (!config.DISCORD_TOKEN) return null;
  return new RestDiscordChannelRepository({
    token: config.DISCORD_TOKEN,
    apiUrl: config.DISCORD_API_URL,
    requestsPerSecond: config.DISCORD_REQUESTS_PER_SECOND,
  });
}
