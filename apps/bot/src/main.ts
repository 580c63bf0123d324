import { once } from 'node:events';
import { ApiClient } from '@chatops/api-client';
import { CommandDispatcher, createCommandRegistry } from '@chatops/bot-commands';
import { configOrExit, describeStartFailure, EXIT_CONFIG, loadCatalog } from '@chatops/config';
import { createLogger } from '@chatops/observability';
import type { Client } from 'discord.js';
import { createBotMetrics } from './bot-metrics';
import { loadBotConfig } from './config';
import { createGatewayClient } from './gateway';
import { GatewayState } from './gateway-state';
import { createHealthServer } from './health-server';

async function main(): Promise<void> {
  const config = configOrExit(() => loadBotConfig());
  const catalog = configOrExit(() => loadCatalog(config.CATALOG_PATH));
  const logger = createLogger({
    name: 'bot',
    level: config.LOG_LEVEL,
    secrets: [config.DISCORD_TOKEN, config.API_SERVICE_TOKEN],
  });

  const gateway = config.DISCORD_TOKEN
    ? new GatewayState('connecting')
    : new GatewayState('not_configured', 'DISCORD_TOKEN is not set');
  gateway.onChange((snapshot) => logger.info({ gateway: snapshot }, 'gateway status'));
  const metrics = createBotMetrics(gateway, () => client?.ws.ping ?? -1);
  const registry = createCommandRegistry();
  const dispatcher = new CommandDispatcher(
    {
      api: new ApiClient({ baseUrl: config.API_URL, serviceToken: config.API_SERVICE_TOKEN }),
      catalog,
      registry,
      gatewayPing: () => client?.ws.ping ?? -1,
    },
    logger,
    { observe: metrics.observeCommand },
  );

  // Closures above read `client` only once it exists (after start-up).
  const client: Client | undefined = config.DISCORD_TOKEN
    ? createGatewayClient({
        restBaseUrl: config.DISCORD_API_URL,
        requestsPerSecond: config.DISCORD_REQUESTS_PER_SECOND,
        state: gateway,
        dispatcher,
        logger,
      })
    : undefined;

  const server = createHealthServer(gateway, metrics.registry);
  server.listen(config.PORT, config.HOST);
  await once(server, 'listening');
  const address = server.address();
  logger.info(
    { port: typeof address === 'object' && address ? address.port : config.PORT },
    'bot health listening',
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void (client?.destroy() ?? Promise.resolve()).finally(() => {
      server.close(() => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      });
      server.closeAllConnections();
    });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  if (!client || !config.DISCORD_TOKEN) {
    logger.warn(
      'No Discord connection configured: DISCORD_TOKEN is not set. The bot stays up without a gateway ' +
        'session; /health answers 503 (not ready) until a token is configured. ' +
        'Set DISCORD_TOKEN (see .env.example) to connect to Discord.',
    );
    return;
  }

  try {
    await client.login(config.DISCORD_TOKEN);
  } catch (error) {
    // A rejected token will not get better by restarting: exit as a configuration error.
    logger.fatal({ err: error }, 'Discord refused the login: check DISCORD_TOKEN');
    logger.flush();
    process.exit(EXIT_CONFIG);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${describeStartFailure('bot', error)}\n`);
  process.exit(1);
});
