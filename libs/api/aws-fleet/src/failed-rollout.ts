import type { FleetRepository, FleetScope, InvocationResult } from './aws-fleet.repository';

/**
 * What a failed rolling redeploy leaves, and undoing the desired version it set. Shared by the
 * API (`/redeploy`, `/rollback`) and the deploy workflow's rollout (`tools/rollout`), so neither
 * leaves a fleet split with the failed version still desired.
 */

/**
 * Sets the desired version back from `failed` to the one it replaced (`previous`, or the newest
 * earlier entry of the history), unless someone has set another one since. Returns the version
 * it set and what it did in words, or null when there was nothing to undo.
 */
export async function setDesiredVersionBack(
  fleet: Pick<FleetRepository, 'versionHistory' | 'setDesiredVersion'>,
  scope: FleetScope,
  service: string,
  failed: string,
  previous?: string | null,
): Promise<{ version: string; message: string } | null> {
  const history = await fleet.versionHistory(scope, service);
  if (history[0]?.value !== failed) return null;
  const back = previous ?? history.find((record) => record.value !== failed)?.value ?? null;
  if (!back || back === failed) return null;
  await fleet.setDesiredVersion(scope, service, back);
  return { version: back, message: `the desired version was set back from ${failed} to ${back}` };
}

/**
 * Which hosts run what after a rollout of `version` over `previous` stopped: a host that
 * succeeded runs the new version; one that failed was put back by the host script; one the
 * command did not reach (SSM stopped at the error threshold) never left the previous one.
 */
export function hostsAfterRollout(
  invocations: readonly InvocationResult[],
  version: string,
  previous: string | null,
): string {
  const onNew = invocations.filter((i) => i.status === 'Success').map((i) => i.instanceId);
  const onPrevious = invocations.filter((i) => i.status !== 'Success').map((i) => i.instanceId);
  const parts = [];
  if (onNew.length) parts.push(`${version} on ${onNew.join(', ')}`);
  if (onPrevious.length)
    parts.push(`${previous ?? 'the previous version'} on ${onPrevious.join(', ')}`);
  return `now running ${parts.join('; ')}`;
}
