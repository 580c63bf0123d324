import { createServer, Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { GatewayState } from './gateway-state';

/**
 * The bot's own HTTP surface: `/health` (and `/health/ready`) answer 200 only while the gateway
 * session is READY, `/health/live` answers while the process does, `/metrics` for Prometheus.
 */
export function createHealthServer(gateway: GatewayState, registry: Registry): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(405, {
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `${req.method} is not supported`,
      });
    }
    switch (path) {
      case '/health':
      case '/health/ready': {
        const snapshot = gateway.current;
        return send(gateway.ready ? 200 : 503, {
          status: gateway.ready ? 'ok' : 'not_ready',
          gateway: snapshot,
        });
      }
      case '/health/live':
        return send(200, { status: 'ok' });
      case '/metrics':
        registry
          .metrics()
          .then((text) => send(200, text, registry.contentType))
          .catch(() =>
            send(500, {
              statusCode: 500,
              error: 'Internal Server Error',
              message: 'metrics unavailable',
            }),
          );
        return;
      default:
        return send(404, {
          statusCode: 404,
          error: 'Not Found',
          message: `Cannot ${req.method} ${path}`,
        });
    }
  });
}
