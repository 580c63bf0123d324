/** What a Discord role can be granted, per environment. */
export const PERMISSIONS = [
  'view',
  'deploy',
  'redeploy',
  'rollback',
  'cancel',
  'approve',
  'silence',
  'unlock',
  'infra',
  'ami',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ANY_ENVIRONMENT = '*';
export const ALL_PERMISSIONS = '*';

/**
 * Role grants as the catalog declares them: role (Discord role id or name) →
 * environment name or '*' → permissions or '*'.
 */
export type RoleGrants = Record<string, Record<string, ReadonlyArray<Permission | '*'>>>;

/** The roles a Discord member holds: ids always, names when the gateway cache has them. */
export interface MemberRoles {
  ids: readonly string[];
  names?: readonly string[];
}

/** Who asks or decides: the member, their roles, and where they pressed (a channel, a message). */
export interface Actor {
  actor: { id: string; name: string };
  roles: MemberRoles;
  source?: string | null;
}

export function permissionsFor(
  grants: RoleGrants,
  member: MemberRoles,
  environment: string | null,
): Set<Permission> {
  const keys = new Set([...member.ids, ...(member.names ?? [])]);
  const granted = new Set<Permission>();
  for (const [role, byEnvironment] of Object.entries(grants)) {
    if (!keys.has(role)) continue;
    for (const [env, permissions] of Object.entries(byEnvironment)) {
      // A permission without an environment (for example `view` on /status with no env) is
      // satisfied by a grant on any environment.
      if (env !== ANY_ENVIRONMENT && environment !== null && env !== environment) continue;
      for (const permission of permissions) {
        if (permission === ALL_PERMISSIONS) PERMISSIONS.forEach((p) => granted.add(p));
        else granted.add(permission);
      }
    }
  }
  return granted;
}

export function hasPermission(
  grants: RoleGrants,
  member: MemberRoles,
  permission: Permission,
  environment: string | null,
): boolean {
  return permissionsFor(grants, member, environment).has(permission);
}
