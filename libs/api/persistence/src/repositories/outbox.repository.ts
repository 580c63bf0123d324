import type { Kysely, Selectable, Updateable } from 'kysely';
import { Clock, systemClock } from '@chatops/domain';
import type { Dialect } from '../database';
import type { Database, OutboxTable } from '../schema';

export interface OutboxMessage<P = unknown> {
  id: number;
  topic: string;
  dedupeKey: string;
  payload: P;
  status: OutboxTable['status'];
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
}

export interface EnqueueMessage {
  topic: string;
  /** Enqueuing the same (topic, dedupeKey) twice keeps the first message only. */
  dedupeKey: string;
  payload: unknown;
  availableAt?: number;
}

export interface ClaimRequest {
  workerId: string;
  limit: number;
  /** How long the claim holds before another worker may take the message over. */
  leaseMs: number;
  topic?: string;
}

export interface TopicBacklog {
  topic: string;
  pending: number;
  failed: number;
  oldestPendingAt: number | null;
}

/**
 * Durable hand-off between request handling and delivery workers. Messages are claimed under a
 * lease, so a worker that dies mid-delivery leaves its messages to be claimed again, and several
 * API replicas can work one PostgreSQL outbox (SKIP LOCKED) without delivering a message twice
 * at the same time.
 */
export class OutboxRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly clock: Clock = systemClock,
  ) {}

  async enqueue(message: EnqueueMessage): Promise<{ id: number; created: boolean }> {
    return insertMessage(this.db, message, this.clock.now());
  }

  /**
   * Several messages in one transaction: one commit (one fsync) for all of them, which is how
   * the alert intake keeps its durability guarantee at a thousand notifications a second.
   */
  async enqueueAll(messages: EnqueueMessage[]): Promise<{ id: number; created: boolean }[]> {
    if (messages.length === 0) return [];
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const results: { id: number; created: boolean }[] = [];
      for (const message of messages) results.push(await insertMessage(trx, message, now));
      return results;
    });
  }

  /** Claims up to `limit` due messages, oldest first, counting the attempt. */
  async claim<P = unknown>(request: ClaimRequest): Promise<OutboxMessage<P>[]> {
    const now = this.clock.now();
    let due = this.db
      .selectFrom('outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(request.limit);
    if (request.topic) due = due.where('topic', '=', request.topic);
    if (this.dialect === 'postgres') due = due.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('outbox')
      .set((eb) => ({
        locked_by: request.workerId,
        locked_until: now + request.leaseMs,
        attempts: eb('attempts', '+', 1),
        updated_at: now,
      }))
      .where('id', 'in', due)
      .returningAll()
      .execute();
    return rows
      .sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id)
      .map((row) => toMessage<P>(row));
  }

  /**
   * The heartbeat of a live worker: its claims hold for another `leaseMs`. A worker that died
   * stops renewing, and its messages are claimable once the lease runs out.
   */
  async renewClaims(workerId: string, leaseMs: number): Promise<number> {
    const result = await this.db
      .updateTable('outbox')
      .set({ locked_until: this.clock.now() + leaseMs })
      .where('locked_by', '=', workerId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Claims an earlier process with this worker's identity left (it was killed mid-round): free
   * at once for this one, rather than after their lease. Returns how many.
   */
  async releaseClaims(workerId: string): Promise<number> {
    const result = await this.db
      .updateTable('outbox')
      .set({ locked_by: null, locked_until: null, updated_at: this.clock.now() })
      .where('locked_by', '=', workerId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Marks a claimed message delivered; false if the claim was lost to another worker. */
  async complete(id: number, workerId: string): Promise<boolean> {
    return this.finish(id, workerId, { status: 'delivered', last_error: null });
  }

  /** Releases a claimed message for another attempt after `delayMs`. */
  async retry(id: number, workerId: string, error: string, delayMs: number): Promise<boolean> {
    return this.finish(id, workerId, {
      status: 'pending',
      last_error: error.slice(0, 2000),
      next_attempt_at: this.clock.now() + delayMs,
    });
  }

  /** Gives up on a message (kept, visible in the backlog as failed, for an operator). */
  async fail(id: number, workerId: string, error: string): Promise<boolean> {
    return this.finish(id, workerId, { status: 'failed', last_error: error.slice(0, 2000) });
  }

  /**
   * Puts every message of `topic` given up on back in the queue, due now, with a fresh count of
   * attempts (the last error stays until the next attempt). Returns how many, and the distinct
   * errors they had (at most 5), newest first.
   */
  async requeueFailed(topic: string): Promise<{ requeued: number; errors: string[] }> {
    return this.db.transaction().execute(async (trx) => {
      const failed = await trx
        .selectFrom('outbox')
        .select(['id', 'last_error'])
        .where('topic', '=', topic)
        .where('status', '=', 'failed')
        .orderBy('updated_at', 'desc')
        .execute();
      if (!failed.length) return { requeued: 0, errors: [] };
      const now = this.clock.now();
      const result = await trx
        .updateTable('outbox')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now, updated_at: now })
        .where('topic', '=', topic)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      const errors = [...new Set(failed.map((f) => f.last_error ?? 'no error recorded'))];
      return { requeued: Number(result.numUpdatedRows), errors: errors.slice(0, 5) };
    });
  }

  /**
   * Makes pending messages of `topic` that wait for a retry due now: the `limit` that were due
   * soonest, or all of them. Claimed ones are left alone. Returns how many.
   */
  async expedite(topic: string, limit?: number): Promise<number> {
    const now = this.clock.now();
    let waiting = this.db
      .selectFrom('outbox')
      .select('id')
      .where('topic', '=', topic)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '>', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .orderBy('id');
    if (limit !== undefined) waiting = waiting.limit(limit);
    const result = await this.db
      .updateTable('outbox')
      .set({ next_attempt_at: now })
      .where('id', 'in', waiting)
      .where('next_attempt_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Forgets delivered messages older than `before`; their dedupe keys go with them, so this is
   * also how long a duplicate is recognised.
   */
  async prune(topic: string, before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('outbox')
      .where('topic', '=', topic)
      .where('status', '=', 'delivered')
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async get<P = unknown>(id: number): Promise<OutboxMessage<P> | null> {
    const row = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toMessage<P>(row) : null;
  }

  async backlog(): Promise<TopicBacklog[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .select((eb) => [
        'topic',
        eb.fn.countAll<number | string>().filterWhere('status', '=', 'pending').as('pending'),
        eb.fn.countAll<number | string>().filterWhere('status', '=', 'failed').as('failed'),
        eb.fn.min<number | null>('created_at').filterWhere('status', '=', 'pending').as('oldest'),
      ])
      .where('status', '!=', 'delivered')
      .groupBy('topic')
      .orderBy('topic')
      .execute();
    return rows.map((row) => ({
      topic: row.topic,
      pending: Number(row.pending),
      failed: Number(row.failed),
      oldestPendingAt: row.oldest === null ? null : Number(row.oldest),
    }));
  }

  private async finish(
    id: number,
    workerId: string,
    set: Updateable<OutboxTable>,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('outbox')
      .set({ ...set, locked_by: null, locked_until: null, updated_at: this.clock.now() })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

/** Inserts unless (topic, dedupeKey) exists; either way, the id of the one stored. */
async function insertMessage(
  db: Kysely<Database>,
  message: EnqueueMessage,
  now: number,
): Promise<{ id: number; created: boolean }> {
  const inserted = await db
    .insertInto('outbox')
    .values({
      topic: message.topic,
      dedupe_key: message.dedupeKey,
      payload: JSON.stringify(message.payload),
      status: 'pending',
      attempts: 0,
      next_attempt_at: message.availableAt ?? now,
      locked_by: null,
      locked_until: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['topic', 'dedupe_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  const existing = await db
    .selectFrom('outbox')
    .select('id')
    .where('topic', '=', message.topic)
    .where('dedupe_key', '=', message.dedupeKey)
    .executeTakeFirstOrThrow();
  return { id: existing.id, created: false };
}

function toMessage<P>(row: Selectable<OutboxTable>): OutboxMessage<P> {
  return {
    id: row.id,
    topic: row.topic,
    dedupeKey: row.dedupe_key,
    payload: JSON.parse(row.payload) as P,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}
