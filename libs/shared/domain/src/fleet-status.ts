import { Refusal } from './refusal';
import type { DeploymentKind, DeploymentStatus } from './deployment';

/** One Docker host as `/status` shows it. */
export interface HostStatus {
  id: string;
  state: string;
  availabilityZone: string | null;
  amiId: string | null;
  launchedAt: string | null;
  /** SSM agent ping: Online, ConnectionLost, Inactive, or unregistered. */
  ssmPing: string;
  /** Its place behind the load balancer; null or absent: not in an Auto Scaling group. */
  loadBalancer?: HostLoadBalancing | null;
}

/** A host in its Auto Scaling group and, when the group has one, the ALB's target group. */
export interface HostLoadBalancing {
  /** The group; null when it could not be read. */
  group: string | null;
  /** InService, Standby (out of service: a redeploy, or one that failed there), Pending… */
  lifecycle: string | null;
  /** The target group's verdict: healthy, unhealthy, initial, draining, unused; null: no target group. */
  targetHealth: string | null;
  /** Why it could not be read (the rest of the host is still shown). */
  error?: string;
}

/** Whether a host behind the load balancer is out of its rotation or failing there. */
export function outOfRotation(host: Pick<HostStatus, 'loadBalancer'>): boolean {
  const lb = host.loadBalancer;
  if (!lb || lb.error) return false;
  return (
    lb.lifecycle !== 'InService' || (lb.targetHealth !== null && lb.targetHealth !== 'healthy')
  );
}

/** What one host runs of a service, as its last redeploy through the platform reported. */
export interface HostVersion {
  instanceId: string;
  /** null: no redeploy through the platform has reported on this host yet. */
  version: string | null;
  /** `healthy` (the last redeploy passed its health check), `rolled back`, or the SSM status. */
  health: string;
}

export interface ServiceStatus {
  name: string;
  /** The desired version in Parameter Store (null: never deployed). */
  desired: { value: string; version: number; modifiedAt: string | null } | null;
  running: HostVersion[];
  lastDeploy: {
    kind: DeploymentKind;
    ref: string;
    status: DeploymentStatus;
    requestedBy: string;
    /** Who cancelled it, when it was cancelled at someone's request. */
    cancelledBy?: string | null;
    at: number;
  } | null;
}

export interface EnvironmentStatus {
  name: string;
  hosts: HostStatus[];
  services: ServiceStatus[];
  /** Set when AWS could not be read for this environment (the rest is still shown). */
  error: string | null;
  /** Locks people placed here (`/lock`): a service, or '*' for all of it. */
  /** The change freeze in force there now, in words (absent from older APIs). */
  freeze?: string | null;
  locks?: {
    service: string;
    holder: string;
    reason: string;
    acquiredAt: number;
    expiresAt: number | null;
  }[];
}

export interface FleetStatus {
  environments: EnvironmentStatus[];
  /** When the API read it (ms since the epoch). */
  at: number;
}

/** What `/rollback` would do: from the current desired version back to the previous one. */
export interface RollbackPreview {
  current: PreviewedVersion;
  target: PreviewedVersion;
  /** The single-use confirmation the member answers (Roll back / Keep), when one was asked for. */
  confirmationId?: string;
  expiresAt?: number;
}

/** One side of a rollback: the Parameter Store entry, who put it there, and whether it is bad. */
export interface PreviewedVersion {
  value: string;
  version: number;
  modifiedAt: string | null;
  /** The newest deploy, redeploy or rollback that succeeded with it (absent from older APIs). */
  deployedBy?: DeployedBy | null;
  /** Why a rollback should not return to it (rolled back from, its last deploy failed). */
  bad?: string | null;
}

export interface DeployedBy {
  name: string;
  /** When it ended (ms since the epoch). */
  at: number;
}

/** A version deployed before, offered by `/redeploy version:` and `/rollback to:` autocomplete. */
export interface VersionChoice {
  value: string;
  modifiedAt: string | null;
  /** The desired version now. */
  current: boolean;
  deployedBy?: DeployedBy | null;
  bad?: string | null;
}

/**
 * Why a redeploy cannot be sent to an environment's hosts, or null when it can: SSM accepts a
 * command that targets no host and reports nothing for it, so the API and the deploy workflow's
 * rollout check the same two things first.
 */
export function unreachableFleet(
  hosts: readonly { id: string; state: string; ssmPing: string }[],
  where: { project: string; environment: string },
): Refusal | null {
  const running = hosts.filter((h) => h.state === 'running');
  if (!running.length)
    return new Refusal(
      'conflict',
      `no running host in ${where.environment} (tags Project=${where.project}, Environment=${where.environment}, Role=docker-host)`,
    );
  if (!running.some((h) => h.ssmPing === 'Online'))
    return new Refusal(
      'unavailable',
      `none of ${where.environment}'s hosts is reachable by SSM (${running.map((h) => `${h.id}: ${h.ssmPing}`).join(', ')})`,
    );
  return null;
}
