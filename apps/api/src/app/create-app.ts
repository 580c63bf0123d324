import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpDurationHistogram } from '@chatops/observability';
import { AppModule, ApiDependencies } from './app.module';
import { registerAccessLog } from './http/access-log';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { registerJsonBodyParser } from './http/json-body';
import { refusedInputRecord } from './http/refused-input-audit';
import { PinoNestLogger } from './http/nest-logger';
import { requestIdFor } from './http/request-id';
import { registerHttpMetrics } from './metrics/http-metrics';

/**
 * Builds the HTTP application (not yet listening) from dependencies built by the caller.
 * NestJS on Fastify: Express's per-request overhead alone kept /health/live under the
 * throughput target on two cores (see bench/api).
 */
export async function createApiApp(deps: ApiDependencies): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: deps.logger,
    disableRequestLogging: true,
    requestIdLogLabel: 'requestId',
    genReqId: requestIdFor,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    // On close: stop accepting, answer 503 to requests arriving on kept-alive connections,
    // let in-flight requests finish, drop idle connections.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const fastify = adapter.getInstance();
  registerAccessLog(fastify);
  registerHttpMetrics(fastify, createHttpDurationHistogram(deps.registry));
  registerJsonBodyParser(fastify, deps.config.BODY_LIMIT_BYTES);

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(deps), adapter, {
    logger: new PinoNestLogger(deps.logger),
    bodyParser: false,
  });
  app.useGlobalFilters(
    new AllExceptionsFilter(deps.logger, deps.config.BODY_LIMIT_BYTES, (request, refusal) =>
      deps.repositories.audit.append(refusedInputRecord(request, refusal)),
    ),
  );
  return app;
}
