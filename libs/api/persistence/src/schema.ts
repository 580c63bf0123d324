import type { Generated } from 'kysely';
import type { AuditOutcome, DeploymentKind, DeploymentStatus } from '@chatops/domain';

/** Times are epoch milliseconds in both dialects so comparisons and ordering agree. */
export interface AuditEventsTable {
  id: Generated<number>;
  occurred_at: number;
  actor_id: string;
  actor_name: string;
  action: string;
  outcome: AuditOutcome;
  service: string | null;
  environment: string | null;
  source: string | null;
  detail: string;
}

export interface DeploymentsTable {
  id: string;
  request_id: string;
  kind: DeploymentKind;
  service: string;
  environment: string;
  ref: string;
  version: string | null;
  status: DeploymentStatus;
  requested_by_id: string;
  requested_by_name: string;
  approved_by_id: string | null;
  run_id: string | null;
  run_url: string | null;
  channel_id: string | null;
  message_id: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  workflow: string | null;
  approvals_required: number;
  /** A pending approval expires at this time. */
  expires_at: number | null;
  thread_id: string | null;
  /** JSON: the run's jobs and steps as last seen. */
  progress: string | null;
  last_webhook_at: number | null;
  polled_at: number | null;
  cancel_requested_by_id: string | null;
  cancel_requested_by_name: string | null;
  cancel_requested_at: number | null;
  /** JSON: the workflow inputs planned at request time. */
  inputs: string | null;
  from_version: string | null;
  head_sha: string | null;
  image_tag: string | null;
  freeze: string | null;
  /** JSON: DeploymentChange. */
  change_summary: string | null;
  /** JSON: DeploymentOutputs. */
  outputs: string | null;
  end_told_at: number | null;
  promoted_from: string | null;
  image_digest: string | null;
  /** JSON: ReviewedPlan. */
  reviewed_plan: string | null;
  /** Shown to have failed after it succeeded: when, and why. */
  failed_at: number | null;
  failure: string | null;
}

export interface HumanLocksTable {
  environment: string;
  /** A service, or '*' for the whole environment. */
  service: string;
  holder_id: string;
  holder_name: string;
  reason: string;
  acquired_at: number;
  /** Null: until someone unlocks it. */
  expires_at: number | null;
}

export interface ConfirmationsTable {
  id: string;
  kind: string;
  member_id: string;
  /** JSON: what was confirmed (for a rollback: service, environment, the version it leaves). */
  payload: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  decision: string | null;
  used_by_request: string | null;
}

export interface ApprovalsTable {
  deployment_id: string;
  approver_id: string;
  approver_name: string;
  decided_at: number;
}

export interface EnvironmentLocksTable {
  environment: string;
  service: string;
  holder_id: string;
  holder_name: string;
  reason: string;
  acquired_at: number;
  expires_at: number;
}

export interface OutboxTable {
  id: Generated<number>;
  topic: string;
  dedupe_key: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  source: string;
  delivery_id: string;
  event: string;
  received_at: number;
}

/** One row per Alertmanager group (receiver + groupKey): its folded state and its Discord message. */
export interface AlertGroupsTable {
  id: Generated<number>;
  /** sha256 of receiver and groupKey (a groupKey can be long). */
  group_hash: string;
  receiver: string;
  group_key: string;
  /** JSON AlertGroupState. */
  state: string;
  /** Bumped on every write: concurrent folds retry instead of overwriting each other. */
  revision: number;
  /** The revision the Discord message last showed: nothing to send while it equals `revision`. */
  rendered_revision: number;
  channel_id: string | null;
  message_id: string | null;
  /** The episode the message shows; a later episode gets a new message. */
  message_episode: number | null;
  silence_id: string | null;
  silenced_until: number | null;
  silenced_by: string | null;
  created_at: number;
  updated_at: number;
  /** The nonce of the post `post_nonce_for` names (an episode, or an episode's repost). */
  post_nonce: string | null;
  post_nonce_for: string | null;
  /** The episode whose place (own message, or `digest_id`) is decided. */
  placement_episode: number | null;
  /** The storm digest page that shows `placement_episode`; null: its own message. */
  digest_id: number | null;
  /** The episode whose on-call ping went out. */
  pinged_episode: number | null;
  /** The episode whose resolve was told in its message's thread. */
  resolve_noted_episode: number | null;
}

/** One message listing many alert groups, posted instead of a message each during a storm. */
export interface AlertDigestsTable {
  id: Generated<number>;
  channel_id: string;
  message_id: string | null;
  /** Random, made with the page: every attempt at its post sends the same one. */
  post_nonce: string;
  /** Groups placed on it (a soft cap: two replicas may each add the last one). */
  group_count: number;
  opened_at: number;
  last_added_at: number;
  /** 1 once the reply saying every group on it resolved was posted. */
  resolve_noted: number;
}

/** An alert that always fires (a watchdog): when it last arrived, and since when it is missing. */
export interface AlertHeartbeatsTable {
  name: string;
  last_seen_at: number;
  /** The `last_seen_at` it went missing after; null while it arrives. */
  missing_since: number | null;
}

export interface BakesTable {
  deployment_id: string;
  service: string;
  environment: string;
  started_at: number;
  ends_at: number;
  status: 'baking' | 'healthy' | 'failed';
  /** When a replica last claimed a look (one look per interval across replicas). */
  checked_at: number | null;
  finding: string | null;
  found_at: number | null;
  /** When a replica claimed the failed bake's action (it may retake it after a lease). */
  action_claimed_at: number | null;
  action: 'rolled-back' | 'pinged' | 'rollback-refused' | null;
  action_detail: string | null;
}

export interface Database {
  alert_digests: AlertDigestsTable;
  alert_groups: AlertGroupsTable;
  alert_heartbeats: AlertHeartbeatsTable;
  approvals: ApprovalsTable;
  audit_events: AuditEventsTable;
  bakes: BakesTable;
  confirmations: ConfirmationsTable;
  deployments: DeploymentsTable;
  environment_locks: EnvironmentLocksTable;
  human_locks: HumanLocksTable;
  outbox: OutboxTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
