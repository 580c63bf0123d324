import type { FastifyInstance } from 'fastify';

/** Paths polled by probes and scrapers: not worth a log line each. */
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * One JSON line per request (request id, method, URL, caller, status, duration; never headers
 * that could carry credentials), at warn for 4xx and error for 5xx. The request id goes back to
 * the caller in x-request-id.
 */
export function registerAccessLog(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (!QUIET_PATHS.has(request.routeOptions.url ?? '')) {
      const status = reply.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      request.log[level](
        {
          req: { method: request.method, url: request.url, remoteAddress: request.ip },
          userAgent: request.headers['user-agent'],
          res: { statusCode: status },
          responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request completed',
      );
    }
    done();
  });
}
