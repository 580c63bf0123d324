import { join, resolve } from 'node:path';
import { RunningProcess, startNode, waitForHttp } from './process';

const WORKSPACE = resolve(__dirname, '../../../..');

export interface ApiProcessOptions {
  port: number;
  /** `sqlite:<path>` or `postgres://…`. */
  databaseUrl: string;
  serviceToken: string;
  /** The GitHub stand-in (or none: workflow kinds answer 503). */
  github?: { apiUrl: string; token: string; webhookSecret?: string };
  /** The AWS stand-in's client environment (`AwsSimulator.clientEnv`; none: fleet kinds answer 503). */
  aws?: Record<string, string>;
  /** Anything else (timings), over the defaults. */
  env?: Record<string, string>;
}

/**
 * The built API (`dist/apps/api/main.js`, as the container runs it) on loopback with the
 * repository's catalog, ready when this resolves. Tests that kill and restart it, or run two
 * on one database, start each copy with this.
 */
export async function startApiProcess(options: ApiProcessOptions): Promise<RunningProcess> {
  const proc = startNode(join(WORKSPACE, 'dist/apps/api/main.js'), {
    PORT: String(options.port),
    HOST: '127.0.0.1',
    API_SERVICE_TOKEN: options.serviceToken,
    CATALOG_PATH: join(WORKSPACE, 'chatops.config.yaml'),
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: 'warn',
    ...(options.github
      ? {
          GITHUB_API_URL: options.github.apiUrl,
          GITHUB_TOKEN: options.github.token,
          GITHUB_WRITE_INTERVAL_MS: '0',
          ...(options.github.webhookSecret
            ? { GITHUB_WEBHOOK_SECRET: options.github.webhookSecret }
            : {}),
        }
      : {}),
    ...(options.aws ? { ...options.aws, AWS_EC2_METADATA_DISABLED: 'true' } : {}),
    ...options.env,
  });
  await waitForHttp(`http://127.0.0.1:${options.port}/health/ready`, {
    process: proc,
    timeoutMs: 30_000,
  });
  return proc;
}
