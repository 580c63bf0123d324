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

/** Everything dispatched, approved, locked and tracked the same way. */
export const DEPLOYMENT_KINDS = [
  'deploy',
  'redeploy',
  'rollback',
  'infra-plan',
  'infra-apply',
  'infra-destroy',
  'ami-build',
] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];

/** A workflow step as the progress message shows it. */
export interface StepProgress {
  number: number;
  name: string;
  status: string;
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

/** A workflow job and its steps, from webhooks or polling. */
export interface JobProgress {
  id: string;
  name: string;
  status: string;
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
  htmlUrl: string | null;
  steps: StepProgress[];
}

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
