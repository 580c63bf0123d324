import { z } from 'zod';
import { DEFAULT_CATALOG_PATH, envFields, loadEnv } from '@chatops/config';
import { DEFAULT_DATABASE_URL, isSupportedDatabaseUrl } from '@chatops/persistence';

/** Every variable the API reads; `.env.example` documents each one. */
export const apiConfigSchema = z.object({
  PORT: envFields.port(3000),
  HOST: envFields.host(),
  LOG_LEVEL: envFields.logLevel(),
  DATABASE_URL: z
    .string()
    .default(DEFAULT_DATABASE_URL)
    .refine(isSupportedDatabaseUrl, { message: 'must be sqlite:<path> or postgres://…' }),
  CATALOG_PATH: z.string().min(1).default(DEFAULT_CATALOG_PATH),
  API_SERVICE_TOKEN: envFields.secret(32),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  HEALTH_HEAP_LIMIT_MB: z.coerce.number().int().min(16).default(512),
  HEALTH_DISK_THRESHOLD: z.coerce.number().gt(0).max(1).default(0.95),
  HEALTH_DISK_PATH: z.string().min(1).default('/'),
  /** Shared secret of the repository's webhook; unset, POST /v1/github/webhook answers 503. */
  GITHUB_WEBHOOK_SECRET: envFields.secret(16).optional(),
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return loadEnv(apiConfigSchema, env);
}
