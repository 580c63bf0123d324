import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the sandbox's Prometheus scrapes: one `sandbox_service_up` series per service and
 * environment (1 healthy, 0 not), which the console flips with `unhealthy api staging`. The rule
 * `SandboxServiceUnhealthy` fires on a 0, labelled with the service and environment: the bake
 * window and the deploy ↔ alert correlation see it as they would a real service's alert.
 */
export class HealthSource {
  private readonly down = new Set<string>();
  private server: Server | null = null;

  constructor(
    private readonly services: readonly string[],
    private readonly environments: readonly string[],
  ) {}

  /** Listens on `host` (a free port unless `port` is given); answers its address. */
  async start(host: string, port = 0): Promise<string> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.metrics());
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    const address = server.address() as AddressInfo;
    return `${host}:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Marks a service healthy or not there; false when either is unknown. */
  set(service: string, environment: string, healthy: boolean): boolean {
    if (!this.services.includes(service) || !this.environments.includes(environment)) return false;
    const key = `${service}\u0000${environment}`;
    if (healthy) this.down.delete(key);
    else this.down.add(key);
    return true;
  }

  metrics(): string {
    const lines = [
      '# HELP sandbox_service_up Whether the sandbox console calls the service healthy there.',
      '# TYPE sandbox_service_up gauge',
    ];
    for (const service of this.services)
      for (const environment of this.environments)
        lines.push(
          `sandbox_service_up{service="${service}",environment="${environment}"} ${this.down.has(`${service}\u0000${environment}`) ? 0 : 1}`,
        );
    return `${lines.join('\n')}\n`;
  }
}

/** The sandbox Prometheus: scrapes the health source each second, alerts to Alertmanager. */
export function sandboxPrometheusConfig(healthTarget: string, alertmanager: string | null): string {
  return [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    'rule_files: [sandbox-rules.yml]',
    'scrape_configs:',
    '  - job_name: sandbox',
    `    static_configs: [{ targets: ['${healthTarget}'] }]`,
    ...(alertmanager
      ? [
          'alerting:',
          '  alertmanagers:',
          `    - static_configs: [{ targets: ['${alertmanager}'] }]`,
        ]
      : []),
    '',
  ].join('\n');
}

export const SANDBOX_RULES = `groups:
  - name: sandbox
    rules:
      - alert: SandboxServiceUnhealthy
        expr: sandbox_service_up == 0
        labels: { severity: critical }
        annotations:
          summary: '{{ $labels.service }} on {{ $labels.environment }} is unhealthy'
          description: 'Made unhealthy from the sandbox console (\`healthy {{ $labels.service }} {{ $labels.environment }}\` mends it).'
`;
