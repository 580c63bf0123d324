import type { DeploymentChange, PlanSummary, ReviewedPlan } from './deployment-change';
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

/** Kinds carried out on the hosts by an SSM command rather than by a GitHub workflow. */
export const FLEET_KINDS = ['redeploy', 'rollback'] as const satisfies readonly DeploymentKind[];
export type FleetKind = (typeof FLEET_KINDS)[number];

export function isFleetKind(kind: DeploymentKind): kind is FleetKind {
  return (FLEET_KINDS as readonly DeploymentKind[]).includes(kind);
}

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
  /** What the job's source calls its state when it says more than status does (SSM: `InProgress`). */
  detail?: string | null;
  /** The end of its output, kept for failures (SSM invocations). */
  output?: string | null;
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

/** A deploy, infra run or AMI build as a member asks for it (the bot sends it; the API checks it). */
export interface DeploymentRequest {
  /** Idempotency key (the interaction id): the same request twice makes one deployment. */
  requestId: string;
  kind: DeploymentKind;
  /** The service for deploys; ignored for infra and AMI builds. */
  service?: string | null;
  /** Ignored for AMI builds. */
  environment?: string | null;
  /** The git ref for deploys; infra and AMI builds run from the default branch. */
  ref?: string | null;
  /** The image version for `/redeploy` (a tag or digest); empty: the current desired version. */
  version?: string | null;
  /**
   * For `/rollback`: the Parameter Store version the member saw as current when they confirmed.
   * If someone deployed since, the rollback is refused rather than aimed at a different version.
   */
  rollbackFrom?: number | null;
  /**
   * For `/rollback to:`: the version the member chose and confirmed (set from the confirmation,
   * never taken from a client): the rollback goes there rather than to the last known good.
   */
  rollbackTo?: string | null;
  /**
   * For `/rollback`: the confirmation the member pressed (single use, theirs only); it carries
   * the service, environment and the version they saw as current.
   */
  confirmationId?: string | null;
  /**
   * Set from a "go back anyway" confirmation, never by a client: the version the member saw
   * running when they confirmed a target older than it.
   */
  backwardsFrom?: string | null;
  /**
   * Set from a confirmation, never by a client: the deployment in its bake window the member
   * confirmed deploying over.
   */
  confirmedBake?: string | null;
  /**
   * For `/promote`: the environment whose running version a redeploy puts on `environment`
   * (the version is read there by the API, never taken from a client).
   */
  promoteFrom?: string | null;
  /**
   * Set from a confirmed promotion, never by a client: the environment its version came from
   * when the member confirmed (the version itself is then given).
   */
  promotedFrom?: string | null;
  /** The environment name typed again to confirm `/infra destroy`. */
  confirmation?: string | null;
  actor: { id: string; name: string };
  roles: { ids: string[]; names?: string[] };
  channelId?: string | null;
  source?: string | null;
}

/** What the bot and the Discord message show of a deployment. */
export interface DeploymentSummary {
  id: string;
  kind: DeploymentKind;
  service: string;
  environment: string;
  ref: string;
  status: DeploymentStatus;
  requestedBy: { id: string; name: string };
  runId: string | null;
  runUrl: string | null;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
  approvalsRequired: number;
  expiresAt: number | null;
  /** The change freeze that made it need an approver (absent from older APIs). */
  freeze?: string | null;
  /** Redeploys and rollbacks: the desired version they replaced. */
  fromVersion?: string | null;
  /** What the run produced besides its commit: an AMI build's image id (absent from older APIs). */
  outputs?: { amiId?: string; plan?: PlanSummary } | null;
  /** A promotion: the environment whose running version it put here. */
  promotedFrom?: string | null;
  /** Redeploys and rollbacks: the image (ECR digest) their version named when requested. */
  imageDigest?: string | null;
  /** An infra apply: the plan it applies (absent from older APIs). */
  reviewedPlan?: ReviewedPlan | null;
  /** The commit a workflow built (absent from older APIs; null until known). */
  headSha?: string | null;
  /** What it changes: target commit, what runs now, the compare (absent from older APIs). */
  change?: DeploymentChange | null;
}
