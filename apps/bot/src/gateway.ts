import { Client, Events, GatewayIntentBits, Options, RESTEvents } from 'discord.js';
import type { Logger } from 'pino';
import { discordRestOptions } from '@chatops/discord-rest';
import type { CommandDispatcher } from '@chatops/bot-commands';
import type { GatewayState } from './gateway-state';
import { memberRolesOf } from './member-roles';

export interface GatewayOptions {
  restBaseUrl: string;
  /** The bot's share of its token's global budget (requests/s). */
  requestsPerSecond?: number;
  state: GatewayState;
  dispatcher: CommandDispatcher;
  logger: Logger;
}

/**
 * The discord.js client with the least it needs: the Guilds intent only (slash commands arrive
 * as interactions; no privileged intents, no message content) and caches capped so memory stays
 * flat however large the servers are.
 */
export function createGatewayClient(options: GatewayOptions): Client {
  const { state, logger } = options;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    // Every reply, edit and follow-up pings nobody unless a message says otherwise: user text
    // and alert labels echoed back must not reach @everyone or a role.
    allowedMentions: { parse: [], repliedUser: false },
    // The one REST client of the bot process: its share of the global budget, 5xx and network
    // retries on backoff.
    rest: discordRestOptions({
      apiUrl: options.restBaseUrl,
      requestsPerSecond: options.requestsPerSecond ?? 20,
    }),
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      ReactionManager: 0,
      ReactionUserManager: 0,
      PresenceManager: 0,
      VoiceStateManager: 0,
      GuildEmojiManager: 0,
      GuildStickerManager: 0,
      GuildScheduledEventManager: 0,
      GuildInviteManager: 0,
      GuildBanManager: 0,
      StageInstanceManager: 0,
      ThreadMemberManager: 0,
      AutoModerationRuleManager: 0,
      GuildMemberManager: {
        maxSize: 200,
        keepOverLimit: (member) => member.id === member.client.user.id,
      },
      UserManager: { maxSize: 200, keepOverLimit: (user) => user.id === user.client.user.id },
    }),
    sweepers: {
      ...Options.DefaultSweeperSettings,
      threads: { interval: 3600, lifetime: 3600 },
    },
  });

  client.once(Events.ClientReady, (ready) => {
    logger.info({ user: ready.user.tag, guilds: ready.guilds.cache.size }, 'discord gateway ready');
  });
  client.on(Events.ShardReady, () => state.set('ready'));
  client.on(Events.ShardResume, (_shard, replayed) => {
    logger.info({ replayed }, 'discord gateway session resumed');
    state.set('ready');
  });
  client.on(Events.ShardReconnecting, () => state.set('reconnecting'));
  client.on(Events.ShardDisconnect, (event) => {
    logger.warn({ code: event.code }, 'discord gateway disconnected');
    state.set('disconnected', `close code ${event.code}`);
  });
  client.on(Events.ShardError, (error) => logger.error({ err: error }, 'discord gateway error'));
  client.on(Events.Invalidated, () => {
    logger.error('discord session invalidated');
    state.set('disconnected', 'session invalidated');
  });
  client.rest.on(RESTEvents.RateLimited, (info) =>
    logger.warn(
      { route: info.route, retryAfterMs: info.retryAfter, global: info.global },
      'discord rate limit',
    ),
  );

  client.on(Events.InteractionCreate, (interaction) => {
    if (interaction.isChatInputCommand())
      void options.dispatcher.dispatch(interaction, memberRolesOf(interaction.member));
    else if (interaction.isAutocomplete())
      void options.dispatcher.dispatchAutocomplete(interaction);
    else if (interaction.isButton() || interaction.isModalSubmit())
      void options.dispatcher.dispatchComponent(interaction, memberRolesOf(interaction.member));
  });
  return client;
}
