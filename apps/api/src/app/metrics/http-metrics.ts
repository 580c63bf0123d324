import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';

/**
 * Times every request. The route label is the matched pattern (`/v1/audit`, never the raw URL
 * with its query); unmatched requests share one label so scanners cannot multiply the series.
 */
export function registerHttpMetrics(
  fastify: FastifyInstance,
  histogram: Histogram<'method' | 'route' | 'status_code'>,
): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    histogram.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
