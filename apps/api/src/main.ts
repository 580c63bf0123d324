import 'reflect-metadata';
import type { Server } from 'node:http';
import { configOrExit, describeStartFailure, loadCatalog, urlPassword } from '@chatops/config';
import { createLogger, createMetricsRegistry } from '@chatops/observability';
import { createRepositories, openDatabase } from '@chatops/persistence';
import { createApiApp } from './app/create-app';
import { buildAlertingMachinery } from './app/alerts/alerting-machinery';
import { buildWorkflowMachinery } from './app/deployments/workflow-machinery';
import { checkCatalogAgainstConfig, loadApiConfig } from './config';
import { buildClients } from './app/clients';

async function main(): Promise<void> {
  const config = configOrExit(() => loadApiConfig());
  const catalog = configOrExit(() => loadCatalog(config.CATALOG_PATH));
  configOrExit(() => checkCatalogAgainstConfig(config, catalog));
  const logger = createLogger({
    name: 'api',
    level: config.LOG_LEVEL,
    secrets: [
      config.API_SERVICE_TOKEN,
      config.GITHUB_WEBHOOK_SECRET,
      config.GITHUB_TOKEN,
      config.GITHUB_REVIEWER_TOKEN,
      config.GITHUB_APP_PRIVATE_KEY,
      config.DISCORD_TOKEN,
      config.AWS_SECRET_ACCESS_KEY,
      config.AWS_SESSION_TOKEN,
      config.ALERTMANAGER_WEBHOOK_TOKEN,
      urlPassword(config.DATABASE_URL),
    ],
  });
  const database = await openDatabase(config.DATABASE_URL, {
    onIdleConnectionError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
  });
  logger.info({ database: database.location, services: catalog.services.length }, 'database ready');

  const repositories = createRepositories(database);
  const registry = createMetricsRegistry('api');
  const parts = {
    config,
    catalog,
    repositories,
    registry,
    logger,
    clients: buildClients(config, catalog, logger),
  };
  const workflows = buildWorkflowMachinery(parts);
  const alerting = buildAlertingMachinery(parts);
  if (!alerting.intake)
    logger.warn(
      'alert intake is off: set ALERTMANAGER_WEBHOOK_TOKEN, DISCORD_TOKEN and ALERTS_CHANNEL_ID',
    );
  if (!workflows.githubConfigured)
    logger.warn(
      'GitHub is not configured (GITHUB_TOKEN or GITHUB_APP_*): deploy requests answer 503',
    );
  if (!workflows.fleet)
    logger.warn('AWS_REGION is not set: /redeploy, /rollback and /status answer 503');
  const app = await createApiApp({
    config,
    catalog,
    database,
    workflows,
    repositories,
    registry,
    logger,
    alerting,
  });

  // SIGTERM: stop accepting, let in-flight requests finish, close the database, exit 0.
  // A request that will not finish does not hold the process past SHUTDOWN_TIMEOUT_MS.
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error(
        { timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
        'in-flight requests did not finish; exiting',
      );
      logger.flush();
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    // A kept-alive connection whose last response is sent after close() began would hold the
    // server open until its keep-alive timeout: drop such connections as soon as they are idle.
    const server = app.getHttpServer() as Server;
    setInterval(() => server.closeIdleConnections(), 50).unref();
    app
      .close()
      .then(() => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  await app.listen(config.PORT, config.HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info({ port, host: config.HOST }, 'api listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`${describeStartFailure('api', error)}\n`);
  process.exit(1);
});
