import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import {
  assertTransition,
  DeploymentChange,
  DeploymentKind,
  PlanSummary,
  ReviewedPlan,
  DeploymentStatus,
  isTerminal,
  JobProgress,
} from '@chatops/domain';
import { Clock, systemClock } from '@chatops/domain';
import type { Database, DeploymentsTable } from '../schema';

export interface Deployment {
  id: string;
  requestId: string;
  kind: DeploymentKind;
  service: string;
  environment: string;
  ref: string;
  version: string | null;
  status: DeploymentStatus;
  requestedBy: { id: string; name: string };
  approvedById: string | null;
  runId: string | null;
  runUrl: string | null;
  channelId: string | null;
  messageId: string | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  workflow: string | null;
  approvalsRequired: number;
  expiresAt: number | null;
  threadId: string | null;
  /** The run's jobs and steps as last seen (webhooks or polling). */
  progress: JobProgress[];
  lastWebhookAt: number | null;
  /** When a replica last polled GitHub for this run (null: never, webhooks sufficed). */
  polledAt: number | null;
  /** Who asked for the run to be cancelled, once (copies of the request find it set). */
  cancelRequestedBy: { id: string; name: string; at: number } | null;
  /** The workflow inputs planned at request time (null: an SSM command, or a row from before). */
  inputs: Record<string, string> | null;
  /** SSM kinds: the desired version this one replaces. */
  fromVersion: string | null;
  /** What the run produced: the commit it built and the image tag it pushed, once known. */
  headSha: string | null;
  imageTag: string | null;
  /** The change freeze in force at request time, which made it need an approver. */
  freeze: string | null;
  /** What it changes (deploy kinds), as told when it was requested; null: not told. */
  change: DeploymentChange | null;
  /** What the run produced besides its commit (an AMI build's image id). */
  outputs: DeploymentOutputs | null;
  /** A promotion: the environment whose running version it put here. */
  promotedFrom: string | null;
  /** SSM kinds: the image (ECR digest) its version named when requested: the one it may run. */
  imageDigest: string | null;
  /** An infra apply: the plan it applies, as its approvers saw it. */
  reviewedPlan: ReviewedPlan | null;
  /**
   * It succeeded, then something showed it failed (an alert that fired after it, a failed bake):
   * the first such finding, kept.
   */
  failure: { at: number; reason: string } | null;
}

export interface DeploymentOutputs {
  amiId?: string;
  /** An infra plan's summary (what an apply of it would change). */
  plan?: PlanSummary;
}

export interface NewDeployment {
  /** Idempotency key: creating twice with one request id yields one deployment. */
  requestId: string;
  kind: DeploymentKind;
  service: string;
  environment: string;
  ref: string;
  version?: string | null;
  status: Extract<DeploymentStatus, 'pending_approval' | 'queued'>;
  requestedBy: { id: string; name: string };
  channelId?: string | null;
  workflow?: string | null;
  approvalsRequired?: number;
  expiresAt?: number | null;
  inputs?: Record<string, string> | null;
  fromVersion?: string | null;
  freeze?: string | null;
  change?: DeploymentChange | null;
  promotedFrom?: string | null;
  imageDigest?: string | null;
  reviewedPlan?: ReviewedPlan | null;
}

/** Fields that change without a status change (run ids, the progress message). */
export type DeploymentPatch = Partial<
  Pick<
    Deployment,
    | 'version'
    | 'approvedById'
    | 'runId'
    | 'runUrl'
    | 'channelId'
    | 'messageId'
    | 'error'
    | 'threadId'
    | 'progress'
    | 'lastWebhookAt'
    | 'headSha'
    | 'imageTag'
    | 'outputs'
  >
>;

/** The deployment changed under us (another replica moved it first). */
export class StaleDeploymentError extends Error {
  constructor(id: string, expected: DeploymentStatus) {
    super(`deployment ${id} is no longer ${expected}`);
    this.name = 'StaleDeploymentError';
  }
}

export class DeploymentNotFoundError extends Error {
  constructor(id: string) {
    super(`deployment ${id} does not exist`);
    this.name = 'DeploymentNotFoundError';
  }
}

export class DeploymentRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(input: NewDeployment): Promise<{ deployment: Deployment; created: boolean }> {
    const now = this.clock.now();
    const inserted = await this.db
      .insertInto('deployments')
      .values({
        id: randomUUID(),
        request_id: input.requestId,
        kind: input.kind,
        service: input.service,
        environment: input.environment,
        ref: input.ref,
        version: input.version ?? null,
        status: input.status,
        requested_by_id: input.requestedBy.id,
        requested_by_name: input.requestedBy.name,
        approved_by_id: null,
        run_id: null,
        run_url: null,
        channel_id: input.channelId ?? null,
        message_id: null,
        error: null,
        created_at: now,
        updated_at: now,
        finished_at: null,
        workflow: input.workflow ?? null,
        approvals_required: input.approvalsRequired ?? 0,
        expires_at: input.expiresAt ?? null,
        thread_id: null,
        progress: null,
        last_webhook_at: null,
        polled_at: null,
        cancel_requested_by_id: null,
        cancel_requested_by_name: null,
        cancel_requested_at: null,
        inputs: input.inputs ? JSON.stringify(input.inputs) : null,
        from_version: input.fromVersion ?? null,
        head_sha: null,
        image_tag: null,
        freeze: input.freeze ?? null,
        change_summary: input.change ? JSON.stringify(input.change) : null,
        outputs: null,
        end_told_at: null,
        promoted_from: input.promotedFrom ?? null,
        image_digest: input.imageDigest ?? null,
        reviewed_plan: input.reviewedPlan ? JSON.stringify(input.reviewedPlan) : null,
      })
      .onConflict((oc) => oc.column('request_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { deployment: toDeployment(inserted), created: true };
    const existing = await this.findByRequestId(input.requestId);
    if (!existing) throw new Error(`deployment for request ${input.requestId} vanished`);
    return { deployment: existing, created: false };
  }

  async get(id: string): Promise<Deployment | null> {
    const row = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toDeployment(row) : null;
  }

  async findByRequestId(requestId: string): Promise<Deployment | null> {
    const row = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('request_id', '=', requestId)
      .executeTakeFirst();
    return row ? toDeployment(row) : null;
  }

  async findByRunId(runId: string): Promise<Deployment | null> {
    const row = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return row ? toDeployment(row) : null;
  }

  /**
   * Moves a deployment to `to` if the state machine allows it from its current status. The
   * update is conditional on that status, so two replicas racing cannot both win. A caller
   * acting on a status it read earlier passes it as `expected`: if the deployment has moved on
   * since, nothing is written and StaleDeploymentError says so.
   */
  async transition(
    id: string,
    to: DeploymentStatus,
    patch: DeploymentPatch = {},
    expected?: DeploymentStatus,
  ): Promise<Deployment> {
    const current = await this.get(id);
    if (!current) throw new DeploymentNotFoundError(id);
    const from = expected ?? current.status;
    if (current.status !== from) throw new StaleDeploymentError(id, from);
    assertTransition(from, to);
    const now = this.clock.now();
    const row = await this.db
      .updateTable('deployments')
      .set({
        ...toColumns(patch),
        status: to,
        updated_at: now,
        finished_at: isTerminal(to) ? now : null,
      })
      .where('id', '=', id)
      .where('status', '=', from)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new StaleDeploymentError(id, from);
    return toDeployment(row);
  }

  async update(id: string, patch: DeploymentPatch): Promise<Deployment> {
    const row = await this.db
      .updateTable('deployments')
      .set({ ...toColumns(patch), updated_at: this.clock.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new DeploymentNotFoundError(id);
    return toDeployment(row);
  }

  /**
   * Takes the one telling of a deployment's end to its requester: true for exactly one caller
   * (across replicas), false for every other and once told.
   */
  async claimEndNotice(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('deployments')
      .set({ end_told_at: this.clock.now() })
      .where('id', '=', id)
      .where('end_told_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Marks a deployment that succeeded as shown to have failed since: true for the first finding
   * only (across replicas); a later one, or one for a deployment that did not succeed, changes
   * nothing.
   */
  async markFailed(id: string, at: number, reason: string): Promise<boolean> {
    const result = await this.db
      .updateTable('deployments')
      .set({ failed_at: at, failure: reason.slice(0, 500) })
      .where('id', '=', id)
      .where('status', '=', 'succeeded')
      .where('failed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * The deployment (deploy, redeploy or rollback) of a service in an environment that something
   * happening `at` follows: the latest that succeeded, requested by then and live no more than
   * `windowMs` before. Null: none.
   */
  async findPreceding(filter: {
    service: string;
    environment: string;
    at: number;
    windowMs: number;
  }): Promise<Deployment | null> {
    const row = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('service', '=', filter.service)
      .where('environment', '=', filter.environment)
      .where('status', '=', 'succeeded')
      .where('kind', 'in', ['deploy', 'redeploy', 'rollback'])
      .where('created_at', '<=', filter.at)
      .where('finished_at', '>=', filter.at - filter.windowMs)
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toDeployment(row) : null;
  }

  /** Newest first; with `before`, only those requested before that time. */
  async listRecent(
    filter: { service?: string; environment?: string; limit?: number; before?: number } = {},
  ): Promise<Deployment[]> {
    let select = this.db.selectFrom('deployments').selectAll();
    if (filter.service) select = select.where('service', '=', filter.service);
    if (filter.environment) select = select.where('environment', '=', filter.environment);
    if (filter.before !== undefined) select = select.where('created_at', '<', filter.before);
    const rows = await select
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(filter.limit ?? 20, 200))
      .execute();
    return rows.map(toDeployment);
  }

  /**
   * What succeeded from `since` on (deploys, redeploys, rollbacks), oldest first: the record the
   * delivery metrics are read from. At most `limit` (default and cap 10,000).
   */
  async listSucceededSince(filter: {
    since: number;
    service?: string;
    environment?: string;
    limit?: number;
  }): Promise<Deployment[]> {
    let select = this.db
      .selectFrom('deployments')
      .selectAll()
      .where('status', '=', 'succeeded')
      .where('kind', 'in', ['deploy', 'redeploy', 'rollback'])
      .where('finished_at', '>=', filter.since);
    if (filter.service) select = select.where('service', '=', filter.service);
    if (filter.environment) select = select.where('environment', '=', filter.environment);
    const rows = await select
      .orderBy('finished_at', 'asc')
      .orderBy('id', 'asc')
      .limit(Math.min(filter.limit ?? 10_000, 10_000))
      .execute();
    return rows.map(toDeployment);
  }

  /**
   * Claims the next poll of a run for this replica: true at most once per `intervalMs` per
   * deployment across every replica sharing the database, and only while it is in flight.
   */
  async claimPoll(
    id: string,
    intervalMs: number,
    /** The states a look makes sense in: a run in flight, or (reconciling) queued without one. */
    statuses: readonly DeploymentStatus[] = ['dispatched', 'running'],
  ): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.db
      .updateTable('deployments')
      .set({ polled_at: now })
      .where('id', '=', id)
      .where('status', 'in', statuses)
      .where((eb) => eb.or([eb('polled_at', 'is', null), eb('polled_at', '<=', now - intervalMs)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Records who asks for a deployment not yet ended to be cancelled: true for the first asker
   * only, so one cancel is carried out (and reaches GitHub or SSM) however many copies arrive,
   * on any replica.
   */
  async claimCancel(id: string, who: { id: string; name: string }): Promise<boolean> {
    const result = await this.db
      .updateTable('deployments')
      .set({
        cancel_requested_by_id: who.id,
        cancel_requested_by_name: who.name,
        cancel_requested_at: this.clock.now(),
      })
      .where('id', '=', id)
      .where('cancel_requested_at', 'is', null)
      .where('status', 'in', ['pending_approval', 'queued', 'dispatched', 'running'])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** The cancel request did not reach its run (GitHub or AWS failed): someone may ask again. */
  async clearCancel(id: string, who: { id: string }): Promise<void> {
    await this.db
      .updateTable('deployments')
      .set({
        cancel_requested_by_id: null,
        cancel_requested_by_name: null,
        cancel_requested_at: null,
      })
      .where('id', '=', id)
      .where('cancel_requested_by_id', '=', who.id)
      .execute();
  }

  /** Approval requests whose time is up. */
  async listExpiredApprovals(): Promise<Deployment[]> {
    const rows = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('status', '=', 'pending_approval')
      .where('expires_at', '<=', this.clock.now())
      .execute();
    return rows.map(toDeployment);
  }

  /** Deployments not yet in a terminal state, oldest first (what trackers resume after a restart). */
  async listActive(): Promise<Deployment[]> {
    const rows = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('status', 'in', ['pending_approval', 'queued', 'dispatched', 'running'])
      .orderBy('created_at', 'asc')
      .execute();
    return rows.map(toDeployment);
  }
}

function toColumns(patch: DeploymentPatch): Partial<DeploymentsTable> {
  const columns: Partial<DeploymentsTable> = {};
  if (patch.version !== undefined) columns.version = patch.version;
  if (patch.approvedById !== undefined) columns.approved_by_id = patch.approvedById;
  if (patch.runId !== undefined) columns.run_id = patch.runId;
  if (patch.runUrl !== undefined) columns.run_url = patch.runUrl;
  if (patch.channelId !== undefined) columns.channel_id = patch.channelId;
  if (patch.messageId !== undefined) columns.message_id = patch.messageId;
  if (patch.error !== undefined) columns.error = patch.error;
  if (patch.threadId !== undefined) columns.thread_id = patch.threadId;
  if (patch.progress !== undefined) columns.progress = JSON.stringify(patch.progress);
  if (patch.lastWebhookAt !== undefined) columns.last_webhook_at = patch.lastWebhookAt;
  if (patch.headSha !== undefined) columns.head_sha = patch.headSha;
  if (patch.imageTag !== undefined) columns.image_tag = patch.imageTag;
  if (patch.outputs !== undefined)
    columns.outputs = patch.outputs ? JSON.stringify(patch.outputs) : null;
  return columns;
}

function toDeployment(row: Selectable<DeploymentsTable>): Deployment {
  return {
    id: row.id,
    requestId: row.request_id,
    kind: row.kind,
    service: row.service,
    environment: row.environment,
    ref: row.ref,
    version: row.version,
    status: row.status,
    requestedBy: { id: row.requested_by_id, name: row.requested_by_name },
    approvedById: row.approved_by_id,
    runId: row.run_id,
    runUrl: row.run_url,
    channelId: row.channel_id,
    messageId: row.message_id,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    workflow: row.workflow,
    approvalsRequired: Number(row.approvals_required),
    expiresAt: row.expires_at,
    threadId: row.thread_id,
    progress: row.progress ? (JSON.parse(row.progress) as JobProgress[]) : [],
    lastWebhookAt: row.last_webhook_at,
    polledAt: row.polled_at,
    cancelRequestedBy:
      row.cancel_requested_by_id && row.cancel_requested_by_name && row.cancel_requested_at
        ? {
            id: row.cancel_requested_by_id,
            name: row.cancel_requested_by_name,
            at: Number(row.cancel_requested_at),
          }
        : null,
    inputs: row.inputs ? (JSON.parse(row.inputs) as Record<string, string>) : null,
    fromVersion: row.from_version,
    headSha: row.head_sha,
    imageTag: row.image_tag,
    freeze: row.freeze,
    change: row.change_summary ? (JSON.parse(row.change_summary) as DeploymentChange) : null,
    outputs: row.outputs ? (JSON.parse(row.outputs) as DeploymentOutputs) : null,
    promotedFrom: row.promoted_from,
    imageDigest: row.image_digest,
    reviewedPlan: row.reviewed_plan ? (JSON.parse(row.reviewed_plan) as ReviewedPlan) : null,
    failure:
      row.failed_at !== null && row.failure !== null
        ? { at: Number(row.failed_at), reason: row.failure }
        : null,
  };
}
