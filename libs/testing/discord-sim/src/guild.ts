import { SimulatedGateway } from './gateway';
import { ChannelType, type APIRole } from 'discord-api-types/v10';
import { snowflake } from './snowflake';
import type { DiscordSimulator } from './simulator';

export function makeRole(
  sim: DiscordSimulator,
  id: string,
  name: string,
  position: number,
): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: '0',
    managed: false,
    mentionable: false,
    flags: 0 as APIRole['flags'],
  };
}

export function guildPayload(sim: DiscordSimulator): Record<string, unknown> {
  return {
    id: sim.guildId,
    name: sim.options.guildName,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: snowflake(),
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [...sim.roles.values()],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    joined_at: new Date().toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    members: [],
    channels: [
      {
        id: sim.channelId,
        type: ChannelType.GuildText,
        name: sim.options.channelName,
        position: 0,
        permission_overwrites: [],
        parent_id: null,
        topic: null,
        nsfw: false,
        rate_limit_per_user: 0,
        last_message_id: null,
      },
    ],
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

/** The gateway of the stand-in: READY for the bot user, then the guild. */
export function gatewayOf(sim: DiscordSimulator): SimulatedGateway {
  return new SimulatedGateway({
    token: sim.options.botToken,
    heartbeatIntervalMs: sim.options.heartbeatIntervalMs,
    resumeUrl: () => sim.gatewayUrl,
    onIdentify: (sessionId) => ({
      ready: {
        v: 10,
        user: sim.botUser,
        guilds: [{ id: sim.guildId, unavailable: true }],
        session_id: sessionId,
        resume_gateway_url: sim.gatewayUrl,
        shard: [0, 1],
        application: { id: sim.applicationId, flags: 0 },
        user_settings: {},
        private_channels: [],
      },
      then: [{ t: 'GUILD_CREATE', d: guildPayload(sim) }],
    }),
    log: sim.options.log,
  });
}
