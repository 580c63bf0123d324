import type { Catalog } from './catalog';
import { findEnvironment, findService } from './catalog';
import type { AlertGroupState } from './alerts';

/** The kinds an alert is tied to: what changed what runs on the hosts. */
export const CORRELATED_KINDS = ['deploy', 'redeploy', 'rollback'] as const;
export type CorrelatedKind = (typeof CORRELATED_KINDS)[number];

/**
 * The deployment an alert group fired after, as its message shows it: who put what there, from
 * which version, when it went live, and where a rollback would return to.
 */
export interface AlertDeployContext {
  deploymentId: string;
  kind: CorrelatedKind;
  service: string;
  environment: string;
  /** The version it left (null: not known). */
  from: string | null;
  /** The version it put there (null: not known, e.g. a deploy whose image tag was not reported). */
  to: string | null;
  /** Who asked for it (their display name, as typed: escape it where it is shown). */
  by: string;
  /** When it went live (epoch ms). */
  liveAt: number;
  /** Its run: the GitHub Actions run or the SSM command (null: none recorded). */
  link: string | null;
  /**
   * The last known good version before it (not one a rollback left, nor one whose latest deploy
   * failed, nor the one it put there): what the message's Roll back button offers. Null: none.
   */
  rollbackTo: string | null;
}

/**
 * The labels that tie an alert group to the catalog: `service` and `environment`, both named in
 * it, common to every alert of the group. Null when either is missing or unknown.
 */
export function catalogTarget(
  catalog: Catalog,
  state: Pick<AlertGroupState, 'commonLabels'>,
): { service: string; environment: string } | null {
  const { service, environment } = state.commonLabels;
  if (!service || !environment) return null;
  if (!findService(catalog, service) || !findEnvironment(catalog, environment)) return null;
  return { service, environment };
}

/** How long after a deployment an alert there is tied to it (0: never). */
export function correlationWindowMs(catalog: Catalog, environment: string): number {
  return (findEnvironment(catalog, environment)?.alertCorrelationMinutes ?? 0) * 60_000;
}

/** Severities that say something is wrong; an `info` alert after a deploy does not fail it. */
export function failsADeployment(state: Pick<AlertGroupState, 'commonLabels'>): boolean {
  const severity = state.commonLabels['severity'];
  return severity !== 'info' && severity !== 'none';
}
