import { randomBytes } from 'node:crypto';
import { ChannelType } from 'discord-api-types/v10';
import { SimInteraction, type ConversationEvent } from './interaction';
import { snowflake } from './snowflake';
import type { DiscordSimulator, SimUserRef } from './simulator';

export function createInteraction(
  sim: DiscordSimulator,
  who: SimUserRef & { channelId?: string },
  kind: SimInteraction['kind'],
  name: string,
  build: (base: Record<string, unknown>) => Record<string, unknown>,
): SimInteraction {
  const user = sim.user(who.user);
  const roleIds = (who.roles ?? []).map((r) => sim.role(r).id);
  const channelId = who.channelId ?? sim.channelId;
  const interaction = new SimInteraction(
    snowflake(),
    `aW50ZXJhY3Rpb24${randomBytes(48).toString('base64url')}`,
    kind,
    name,
    user.id,
    channelId,
    Date.now(),
    sim.options.responseDeadlineMs,
    sim.options.tokenLifetimeMs,
  );
  sim.interactions.set(interaction.id, interaction);
  interaction.on('event', (event: ConversationEvent) =>
    sim.emit('conversation', interaction, event),
  );
  const base = {
    id: interaction.id,
    application_id: sim.applicationId,
    token: interaction.token,
    version: 1,
    guild_id: sim.guildId,
    channel_id: channelId,
    channel: {
      id: channelId,
      type: ChannelType.GuildText,
      name: sim.options.channelName,
      guild_id: sim.guildId,
    },
    member: {
      user,
      roles: roleIds,
      permissions: '0',
      joined_at: new Date(0).toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      nick: null,
      avatar: null,
      premium_since: null,
      pending: false,
    },
    app_permissions: sim.appPermissions(channelId),
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': sim.guildId },
    context: 0,
    attachment_size_limit: 10485760,
  };
  sim.gateway.dispatch('INTERACTION_CREATE', build(base));
  return interaction;
}
