import { OverwriteType, PermissionFlagsBits as P } from 'discord-api-types/v10';
import { botInviteUrl, BOT_INVITE_PERMISSIONS, channelPermissionsOf } from './bot-permissions';

const guildId = '100000000000000001';
const bot = '100000000000000002';
const botRole = '100000000000000003';
const other = '100000000000000004';

describe('the bot’s permissions', () => {
  it('invites with both scopes and exactly the channel permissions it needs', () => {
    const url = new URL(botInviteUrl('123456789012345678', guildId));
    expect(url.origin + url.pathname).toBe('https://discord.com/oauth2/authorize');
    expect(url.searchParams.get('scope')).toBe('bot applications.commands');
    expect(BigInt(url.searchParams.get('permissions') ?? '0')).toBe(
      P.ViewChannel |
        P.SendMessages |
        P.EmbedLinks |
        P.ReadMessageHistory |
        P.CreatePublicThreads |
        P.SendMessagesInThreads,
    );
    expect(BOT_INVITE_PERMISSIONS & P.Administrator).toBe(0n);
    expect(BOT_INVITE_PERMISSIONS & P.MentionEveryone).toBe(0n);
    expect(url.searchParams.get('guild_id')).toBe(guildId);
    expect(new URL(botInviteUrl('123456789012345678')).searchParams.has('guild_id')).toBe(false);
  });

  it('computes a channel’s permissions as Discord does: roles, then @everyone, role and member overwrites', () => {
    const roles = [
      { id: guildId, permissions: String(P.ViewChannel | P.SendMessages) },
      { id: botRole, permissions: String(P.EmbedLinks) },
      { id: other, permissions: String(P.Administrator) },
    ];
    const base = { guildId, roles, memberId: bot, memberRoleIds: [botRole], overwrites: [] };
    expect(channelPermissionsOf(base)).toBe(P.ViewChannel | P.SendMessages | P.EmbedLinks);
    const overwrites = [
      { id: guildId, type: OverwriteType.Role, allow: '0', deny: String(P.SendMessages) },
      { id: botRole, type: OverwriteType.Role, allow: String(P.SendMessages), deny: '0' },
      { id: bot, type: OverwriteType.Member, allow: '0', deny: String(P.EmbedLinks) },
    ];
    // @everyone loses Send, the bot's role gives it back, the member overwrite takes Embed.
    expect(channelPermissionsOf({ ...base, overwrites })).toBe(P.ViewChannel | P.SendMessages);
    // Administrator ignores overwrites.
    expect(
      channelPermissionsOf({ ...base, memberRoleIds: [other], overwrites }) & P.EmbedLinks,
    ).toBe(P.EmbedLinks);
  });
});
