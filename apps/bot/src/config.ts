import { z } from 'zod';
import { DEFAULT_CATALOG_PATH, envFields, loadEnv } from '@chatops/config';
import { SNOWFLAKE_PATTERN } from '@chatops/domain';

const snowflake = z
  .string()
  .regex(SNOWFLAKE_PATTERN, { message: 'must be a Discord id (17–20 digits)' });

/** Discord connection settings, shared by the bot and the registration tool. */
const discordFields = {
  /** Unset: the bot runs without a Discord connection (health stays up, reports not ready). */
  DISCORD_TOKEN: envFields.secret(50).optional(),
  DISCORD_APPLICATION_ID: snowflake.optional(),
  /** Register commands to this guild (instant) instead of globally. */
  DISCORD_GUILD_ID: snowflake.optional(),
  /** REST base URL; the gateway URL comes from its /gateway/bot. Point it at a simulator to test. */
  DISCORD_API_URL: envFields.url().default('https://discord.com/api'),
  /**
   * The bot's share of its token's 50 requests/s (each API replica takes 15 by default);
   * interaction callbacks are not counted by Discord.
   */
  DISCORD_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).max(50).default(20),
};

/** Every variable the bot reads; `.env.example` documents each one. */
export const botConfigSchema = z.object({
  ...discordFields,
  PORT: envFields.port(3001),
  HOST: envFields.host(),
  LOG_LEVEL: envFields.logLevel(),
  CATALOG_PATH: z.string().min(1).default(DEFAULT_CATALOG_PATH),
  API_URL: envFields.url().default('http://127.0.0.1:3000'),
  API_SERVICE_TOKEN: envFields.secret(32),
});

export type BotConfig = z.output<typeof botConfigSchema>;

export function loadBotConfig(env: Record<string, string | undefined> = process.env): BotConfig {
  return loadEnv(botConfigSchema, env);
}

/** `npm run commands:register` needs a token and the application it registers for. */
export const registrationConfigSchema = z.object({
  ...discordFields,
  DISCORD_TOKEN: envFields.secret(50),
  DISCORD_APPLICATION_ID: snowflake,
});

export type RegistrationConfig = z.output<typeof registrationConfigSchema>;

export function loadRegistrationConfig(
  env: Record<string, string | undefined> = process.env,
): RegistrationConfig {
  return loadEnv(registrationConfigSchema, env);
}
