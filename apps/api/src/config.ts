import { z } from 'zod';
import { ConfigError, DEFAULT_CATALOG_PATH, envFields, loadEnv } from '@chatops/config';
import type { Catalog } from '@chatops/domain';
import { DEFAULT_DATABASE_URL, isSupportedDatabaseUrl } from '@chatops/persistence';

/** Every variable the API reads; `.env.example` documents each one. */
export const apiConfigSchema = z
  .object({
    PORT: envFields.port(3000),
    /**
     * This replica's stable name (default host:port): a restarted replica takes over at once the
     * alert notifications its killed predecessor had claimed.
     */
    INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, { message: 'must be 1–100 letters, digits, . _ : -' })
      .optional(),
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
    /** GitHub's REST API: https://api.github.com, GHES's https://host/api/v3, or a stand-in. */
    GITHUB_API_URL: envFields.url().default('https://api.github.com'),
    /** A token with actions:write and contents:read on the catalog's repository… */
    GITHUB_TOKEN: envFields.secret(20).optional(),
    /**
     * A user token of a required reviewer of the GitHub environments whose catalog entry says
     * `githubApproval: reviewer-token`: the Discord approval approves their pending deployments.
     */
    GITHUB_REVIEWER_TOKEN: envFields.secret(20).optional(),
    /** …or a GitHub App installed on it (all three). */
    GITHUB_APP_ID: z.string().regex(/^\d+$/, { message: 'must be a numeric app id' }).optional(),
    GITHUB_APP_PRIVATE_KEY: z
      .string()
      .refine((v) => v.includes('PRIVATE KEY'), { message: 'must be a PEM private key' })
      .optional(),
    GITHUB_APP_INSTALLATION_ID: z.coerce.number().int().positive().optional(),
    /** At most one GitHub request per this interval per deployment while polling. */
    GITHUB_POLL_INTERVAL_MS: z.coerce.number().int().min(1000).max(300_000).default(5000),
    /** Poll a run that no webhook mentioned for this long. */
    GITHUB_WEBHOOK_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
    /** A dispatch gives up finding its run this long after it began. */
    GITHUB_DISPATCH_DEADLINE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(120_000),
    /**
     * How long GitHub may take to list a new run: a deployment a crash left queued without a run
     * is ended as never dispatched this long after the dispatch deadline.
     */
    GITHUB_RUN_LISTING_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(60_000),
    /** Minimum time between mutating GitHub requests (GitHub asks for 1 s). */
    GITHUB_WRITE_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
    /** Bot token the API uses to post and edit deployment messages; unset: no messages. */
    DISCORD_TOKEN: envFields.secret(50).optional(),
    DISCORD_API_URL: envFields.url().default('https://discord.com/api'),
    /**
     * This replica's share of the bot token's 50 requests/s (the bot takes 20 by default): keep
     * the bot's and every replica's shares within 50 together.
     */
    DISCORD_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).max(50).default(15),
    /** The hosts' AWS region; unset, /redeploy, /rollback and /status answer 503. */
    AWS_REGION: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'must be an AWS region such as eu-west-1' })
      .optional(),
    /** Another endpoint for every AWS service (the sandbox's stand-in); the SDK reads it. */
    AWS_ENDPOINT_URL: envFields.url().optional(),
    /** Static credentials, when there is no instance role; only read to keep them out of logs. */
    AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    AWS_SESSION_TOKEN: z.string().min(1).optional(),
    /** First pause between two looks at an SSM command in flight (it grows with its age). */
    FLEET_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
    /**
     * After a crash: a redeploy queued this long with no SSM command carrying its marker was
     * never sent, and ends as failed (its lease released; it is never sent twice).
     */
    FLEET_SEND_DEADLINE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(120_000),
    /** Bearer token Alertmanager sends (its `authorization.credentials_file`); unset: intake answers 503. */
    ALERTMANAGER_WEBHOOK_TOKEN: envFields.secret(32).optional(),
    /** Alertmanager's base URL, for /alerts, /silences and the Silence buttons; unset: they answer 503. */
    ALERTMANAGER_URL: envFields.url().optional(),
    /** Prometheus's base URL, which bake windows watch (needed when an environment bakes). */
    PROMETHEUS_URL: envFields.url().optional(),
    /**
     * The alert that always fires (deploy/monitoring/rules/chatops.yml): never shown; when none
     * has arrived for ALERT_WATCHDOG_TIMEOUT_MS the API posts that the alert path is broken.
     */
    ALERT_WATCHDOG_ALERTNAME: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,199}$/, { message: 'must be a Prometheus alert name' })
      .default('Watchdog'),
    ALERT_WATCHDOG_TIMEOUT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(300_000),
    /** The Discord channel alert messages go to (with DISCORD_TOKEN). */
    ALERTS_CHANNEL_ID: z
      .string()
      .regex(/^\d{17,20}$/, { message: 'must be a Discord channel id (17–20 digits)' })
      .optional(),
    /** Lease on (environment, service) while a deploy runs; renewed as it progresses. */
    DEPLOY_LOCK_TTL_MS: z.coerce
      .number()
      .int()
      .min(60_000)
      .max(24 * 3_600_000)
      .default(1_800_000),
  })
  .superRefine((config, ctx) => {
    const app = [
      config.GITHUB_APP_ID,
      config.GITHUB_APP_PRIVATE_KEY,
      config.GITHUB_APP_INSTALLATION_ID,
    ];
    if (app.some((v) => v !== undefined) && app.some((v) => v === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['GITHUB_APP_ID'],
        message:
          'a GitHub App needs GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID together',
      });
    }
    if (config.GITHUB_TOKEN && config.GITHUB_APP_ID) {
      ctx.addIssue({
        code: 'custom',
        path: ['GITHUB_TOKEN'],
        message: 'set either GITHUB_TOKEN or the GitHub App variables, not both',
      });
    }
  });

export type ApiConfig = z.output<typeof apiConfigSchema>;

export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return loadEnv(apiConfigSchema, env);
}

/**
 * What the catalog asks of the configuration, every problem listed: an environment approved on
 * GitHub with a reviewer's token needs that token; one answered by a protection rule needs the
 * GitHub App (only an App answers its rule).
 */
export function checkCatalogAgainstConfig(config: ApiConfig, catalog: Catalog): void {
  const problems: string[] = [];
  for (const environment of catalog.environments) {
    if (environment.githubApproval === 'reviewer-token' && !config.GITHUB_REVIEWER_TOKEN)
      problems.push(
        `environment ${environment.name}: githubApproval reviewer-token needs GITHUB_REVIEWER_TOKEN (a token of one of its required reviewers)`,
      );
    if (environment.githubApproval === 'protection-rule' && !config.GITHUB_APP_ID)
      problems.push(
        `environment ${environment.name}: githubApproval protection-rule needs the GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY, GITHUB_APP_INSTALLATION_ID): only an App answers its rule`,
      );
    if (environment.bake && !config.PROMETHEUS_URL)
      problems.push(
        `environment ${environment.name}: bake needs PROMETHEUS_URL (the Prometheus its window watches)`,
      );
  }
  if (problems.length) throw new ConfigError('configuration for the catalog', problems);
}
