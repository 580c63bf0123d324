import { OverwriteType, PermissionFlagsBits } from 'discord-api-types/v10';

/**
 * What the bot must be allowed in each channel it posts to: deployment and alert messages
 * (send, with embeds), their threads (create one on a message, post in it), and reading a
 * message back to edit it after a restart. Nothing that moderates, manages or deletes.
 */
export const BOT_CHANNEL_PERMISSIONS: readonly { name: string; bit: bigint }[] = [
  { name: 'View Channel', bit: PermissionFlagsBits.ViewChannel },
  { name: 'Send Messages', bit: PermissionFlagsBits.SendMessages },
  { name: 'Embed Links', bit: PermissionFlagsBits.EmbedLinks },
  { name: 'Read Message History', bit: PermissionFlagsBits.ReadMessageHistory },
  { name: 'Create Public Threads', bit: PermissionFlagsBits.CreatePublicThreads },
  { name: 'Send Messages in Threads', bit: PermissionFlagsBits.SendMessagesInThreads },
];

/** The permissions integer of the invite: exactly the channel permissions above. */
export const BOT_INVITE_PERMISSIONS = BOT_CHANNEL_PERMISSIONS.reduce((all, p) => all | p.bit, 0n);

/**
 * The URL that adds the bot to a server with its slash commands and exactly the permissions it
 * needs (`bot` and `applications.commands` scopes). With a guild id, that server is preselected.
 */
export function botInviteUrl(applicationId: string, guildId?: string): string {
  const query = new URLSearchParams({
    client_id: applicationId,
    scope: 'bot applications.commands',
    permissions: String(BOT_INVITE_PERMISSIONS),
    ...(guildId ? { guild_id: guildId, disable_guild_select: 'true' } : {}),
  });
  return `https://discord.com/oauth2/authorize?${query.toString()}`;
}

export interface PermissionInputs {
  guildId: string;
  /** Every role of the guild with its permissions (the @everyone role's id is the guild's). */
  roles: readonly { id: string; permissions: string }[];
  memberId: string;
  memberRoleIds: readonly string[];
  /** The channel's overwrites (a thread takes its parent's). */
  overwrites: readonly { id: string; type: number; allow: string; deny: string }[];
}

/**
 * A member's permissions in a channel, computed as Discord does: @everyone and the member's
 * roles, Administrator grants all; then the channel's @everyone overwrite, the role overwrites
 * together, and the member's own, each denying then allowing.
 */
export function channelPermissionsOf(input: PermissionInputs): bigint {
  const roleBits = (id: string) => BigInt(input.roles.find((r) => r.id === id)?.permissions ?? '0');
  let permissions = roleBits(input.guildId);
  for (const id of input.memberRoleIds) permissions |= roleBits(id);
  if (permissions & PermissionFlagsBits.Administrator) return ~0n & ((1n << 64n) - 1n);
  const apply = (overwrite?: { allow: string; deny: string }) => {
    if (!overwrite) return;
    permissions &= ~BigInt(overwrite.deny);
    permissions |= BigInt(overwrite.allow);
  };
  apply(input.overwrites.find((o) => o.id === input.guildId));
  const roleOverwrites = input.overwrites.filter(
    (o) => o.type === OverwriteType.Role && input.memberRoleIds.includes(o.id),
  );
  apply({
    deny: String(roleOverwrites.reduce((all, o) => all | BigInt(o.deny), 0n)),
    allow: String(roleOverwrites.reduce((all, o) => all | BigInt(o.allow), 0n)),
  });
  apply(input.overwrites.find((o) => o.type === OverwriteType.Member && o.id === input.memberId));
  return permissions;
}
