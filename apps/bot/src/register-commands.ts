import { existsSync } from 'node:fs';
import { botInviteUrl, createDiscordRest } from '@chatops/discord-rest';
import { createCommandRegistry, registerCommands } from '@chatops/bot-commands';
import { configOrExit } from '@chatops/config';
import { loadRegistrationConfig } from './config';

/**
 * `npm run commands:register`: makes Discord's slash commands match the registry (guild
 * commands when DISCORD_GUILD_ID is set, global otherwise). Safe to run on every deploy.
 */
async function main(): Promise<void> {
  // A developer's .env, when there is one; variables already set win.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = configOrExit(() => loadRegistrationConfig());
  const rest = createDiscordRest(
    { apiUrl: config.DISCORD_API_URL, requestsPerSecond: config.DISCORD_REQUESTS_PER_SECOND },
    config.DISCORD_TOKEN,
  );
  const registry = createCommandRegistry();
  const result = await registerCommands(
    rest,
    { applicationId: config.DISCORD_APPLICATION_ID, guildId: config.DISCORD_GUILD_ID },
    registry.toJSON(),
  );
  const names = registry
    .list()
    .map((c) => `/${c.data.name}`)
    .join(', ');
  process.stdout.write(
    result.changed
      ? `Registered ${result.count} commands (${result.scope}): ${names}\n`
      : `Commands unchanged (${result.scope}): ${names}\n`,
  );
  // What docs/going-live.md asks a server admin to open: both scopes, exactly these permissions.
  process.stdout.write(
    `Invite the bot (scopes bot and applications.commands, the channel permissions it needs): ${botInviteUrl(config.DISCORD_APPLICATION_ID, config.DISCORD_GUILD_ID)}\n`,
  );
}

main().catch((error: unknown) => {
  const status = (error as { status?: number }).status;
  const hint = status === 401 ? ' (Discord rejected DISCORD_TOKEN)' : '';
  process.stderr.write(
    `Command registration failed${hint}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
