import { parse } from 'yaml';
import { isSnowflake } from '@chatops/domain';

/** What the sandbox adds to an environment of the catalog that does not say it itself. */
export interface SandboxEnvironmentOverlay {
  /** The Discord role id its approval requests mention. */
  approverRole?: string;
  /** How its Discord approval satisfies the GitHub environment (the stand-in protects it). */
  githubApproval?: 'reviewer-token';
  /** Its bake window (any environment; when the sandbox runs Prometheus). */
  bake?: { minutes: number; onFailure: 'ping' | 'rollback' };
}

/**
 * The catalog the sandbox runs: the user's own, with what only stand-ins can fill in added to
 * the environments that need an approval and do not say it themselves. Approval requests then
 * mention the simulator's role of the approvers (a role id exists only once the simulator made
 * it), and the GitHub stand-in protects the environment with a reviewer whose token carries the
 * Discord approval (one approval, shown end to end). Where the sandbox runs Prometheus, every
 * environment without a bake window gets a short one. Nothing the catalog sets is overridden.
 * Returns the document as JSON (which YAML reads), ready for CATALOG_PATH.
 */
export function sandboxCatalog(
  catalogText: string,
  overlay: (environment: string) => SandboxEnvironmentOverlay,
): string {
  const document = parse(catalogText) as { environments?: Record<string, unknown>[] };
  for (const environment of document.environments ?? []) {
    if (typeof environment['name'] !== 'string') continue;
    const added = overlay(environment['name']);
    if (environment['bake'] === undefined && added.bake) environment['bake'] = added.bake;
    if (environment['requiresApproval'] !== true) continue;
    if (environment['approverRole'] === undefined && added.approverRole)
      environment['approverRole'] = added.approverRole;
    if (environment['githubApproval'] === undefined && added.githubApproval)
      environment['githubApproval'] = added.githubApproval;
  }
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * The first role of the catalog (by name) that may approve on `environment`: the one whose
 * members the sandbox pings for it. Roles the catalog names by id are not the simulator's.
 */
export function approvingRoleName(
  roles: Record<string, Record<string, readonly string[]>>,
  environment: string,
): string | null {
  for (const [role, grants] of Object.entries(roles)) {
    if (isSnowflake(role)) continue;
    const granted = [...(grants[environment] ?? []), ...(grants['*'] ?? [])];
    if (granted.includes('approve') || granted.includes('*')) return role;
  }
  return null;
}
