import type { MemberRoles } from '@chatops/domain';

/** A guild member as discord.js hands it over: cached (role manager) or raw (role id list). */
type InteractionMember =
  | { roles: string[] }
  | {
      roles: {
        cache: { keys(): IterableIterator<string>; map<T>(fn: (role: { name: string }) => T): T[] };
      };
    }
  | null;

/** Role ids always; role names too when the guild's roles are cached (the Guilds intent). */
export function memberRolesOf(member: InteractionMember): MemberRoles {
  if (!member) return { ids: [] };
  if (Array.isArray(member.roles)) return { ids: member.roles };
  const cache = member.roles.cache;
  return { ids: [...cache.keys()], names: cache.map((role) => role.name) };
}
