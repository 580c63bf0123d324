import { OverwriteType, PermissionFlagsBits } from 'discord-api-types/v10';
import { DiscordHttpError } from './errors';
import { CHANNEL_PERMISSIONS } from './global-limits';
import type { DiscordSimulator } from './simulator';

/**
 * What a new server's @everyone may do (Discord's defaults for the channels the stand-in has):
 * the bot, which holds no role of its own here, gets its channel permissions from it; withheld
 * ones are denied to it by a member overwrite on the channel, as a server admin would.
 */
export const EVERYONE_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.MentionEveryone |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.UseApplicationCommands |
  PermissionFlagsBits.CreatePublicThreads |
  PermissionFlagsBits.SendMessagesInThreads;

const unknownGuild = () => new DiscordHttpError(404, { message: 'Unknown Guild', code: 10004 });
const unknownMember = () => new DiscordHttpError(404, { message: 'Unknown Member', code: 10007 });

function guildOf(sim: DiscordSimulator, guildId: string): void {
  if (guildId !== sim.guildId) throw unknownGuild();
}

/** `GET /guilds/{guild}/roles`. */
export function guildRoles(sim: DiscordSimulator, guildId: string): unknown[] {
  guildOf(sim, guildId);
  return [...sim.roles.values()];
}

/** `GET /guilds/{guild}/members/{user}`: the bot, or a member who has used the stand-in. */
export function guildMember(sim: DiscordSimulator, guildId: string, userId: string): unknown {
  guildOf(sim, guildId);
  const user =
    userId === sim.botUser.id ? sim.botUser : [...sim.users.values()].find((u) => u.id === userId);
  if (!user) throw unknownMember();
  return {
    user,
    nick: null,
    avatar: null,
    banner: null,
    // Members' roles are given per action in the stand-in; none are kept on the member.
    roles: [],
    joined_at: new Date(Number((BigInt(sim.guildId) >> 22n) + 1420070400000n)).toISOString(),
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  };
}

/** A channel's overwrites: what is withheld from the bot, denied to it as a member. */
export function overwritesOf(
  sim: DiscordSimulator,
  channelId: string,
): { id: string; type: number; allow: string; deny: string }[] {
  const withheld = sim.withheld.get(channelId);
  if (!withheld?.size) return [];
  let deny = 0n;
  for (const permission of withheld) deny |= CHANNEL_PERMISSIONS[permission];
  return [{ id: sim.botUser.id, type: OverwriteType.Member, allow: '0', deny: String(deny) }];
}
