import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { pinoHttp } from 'pino-http';
import { createHttpDurationHistogram } from '@chatops/observability';
import { AppModule, ApiDependencies } from './app.module';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { bodyParserErrors } from './http/body-parser-errors';
import { PinoNestLogger } from './http/nest-logger';
import { requestIdFor } from './http/request-id';
import { httpMetricsMiddleware } from './metrics/http-metrics';

/** Paths polled by probes and scrapers: not worth a log line each. */
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * Builds the HTTP application (not yet listening) from dependencies built by the caller.
 * Middleware order: request id and access log first (so every response, even a rejected body,
 * carries an id and is logged), then metrics, then the JSON body parser and its error mapping.
 */
export async function createApiApp(deps: ApiDependencies): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(deps), {
    logger: new PinoNestLogger(deps.logger),
    bodyParser: false,
    // Webhook signatures (X-Hub-Signature-256) are computed over the exact bytes received.
    rawBody: true,
  });
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: requestIdFor,
      autoLogging: { ignore: (req) => QUIET_PATHS.has((req.url ?? '').split('?')[0] ?? '') },
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );
  app.use(httpMetricsMiddleware(createHttpDurationHistogram(deps.registry)));
  app.useBodyParser('json', { limit: deps.config.BODY_LIMIT_BYTES });
  app.use(bodyParserErrors);
  app.useGlobalFilters(new AllExceptionsFilter(deps.logger));
  return app;
}
