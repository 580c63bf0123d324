/** What a deployment record is doing; the API moves it through these states only. */
export const DEPLOYMENT_STATUSES = [
  'pending_approval',
  'queued',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'rejected',
  'expired',
  'timed_out',
] as const;

export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const DEPLOYMENT_KINDS = ['deploy', 'redeploy', 'rollback'] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];

const TRANSITIONS: Record<DeploymentStatus, readonly DeploymentStatus[]> = {
  pending_approval: ['queued', 'rejected', 'expired', 'cancelled'],
  queued: ['dispatched', 'failed', 'cancelled'],
  dispatched: ['running', 'succeeded', 'failed', 'cancelled', 'timed_out'],
  running: ['succeeded', 'failed', 'cancelled', 'timed_out'],
  succeeded: [],
  failed: [],
  cancelled: [],
  rejected: [],
  expired: [],
  timed_out: [],
};

export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: DeploymentStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export class InvalidTransitionError extends Error {
  constructor(
    readonly from: DeploymentStatus,
    readonly to: DeploymentStatus,
  ) {
    super(`a deployment cannot go from ${from} to ${to}`);
    this.name = 'InvalidTransitionError';
  }
}

export function assertTransition(from: DeploymentStatus, to: DeploymentStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
}
