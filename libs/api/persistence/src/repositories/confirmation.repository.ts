import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { Clock, systemClock } from '@chatops/domain';
import type { ConfirmationsTable, Database } from '../schema';

export interface Confirmation {
  id: string;
  kind: string;
  memberId: string;
  payload: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  decision: string | null;
  usedByRequest: string | null;
}

export type ConfirmationUse =
  | { used: true; confirmation: Confirmation }
  | {
      used: false;
      reason: 'unknown' | 'not-yours' | 'expired' | 'used';
      confirmation: Confirmation | null;
    };

/**
 * Confirmations a member is asked for (`/rollback`'s Roll back / Keep): single use, only by that
 * member, until they expire. A use is a conditional write, so of two presses (on any replica)
 * exactly one counts; a copy of the same request (its request id) counts as that one again.
 */
export class ConfirmationRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(input: {
    kind: string;
    memberId: string;
    payload: Record<string, unknown>;
    ttlMs: number;
  }): Promise<Confirmation> {
    const now = this.clock.now();
    const row = await this.db
      .insertInto('confirmations')
      .values({
        id: randomUUID(),
        kind: input.kind,
        member_id: input.memberId,
        payload: JSON.stringify(input.payload),
        created_at: now,
        expires_at: now + input.ttlMs,
        used_at: null,
        decision: null,
        used_by_request: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toConfirmation(row);
  }

  async get(id: string): Promise<Confirmation | null> {
    const row = await this.db
      .selectFrom('confirmations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toConfirmation(row) : null;
  }

  /** Uses it once, for `decision` (and the request that carries it out, if any). */
  async use(
    id: string,
    memberId: string,
    decision: string,
    requestId: string | null = null,
  ): Promise<ConfirmationUse> {
    const now = this.clock.now();
    const row = await this.db
      .updateTable('confirmations')
      .set({ used_at: now, decision, used_by_request: requestId })
      .where('id', '=', id)
      .where('member_id', '=', memberId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (row) return { used: true, confirmation: toConfirmation(row) };
    const current = await this.get(id);
    if (!current) return { used: false, reason: 'unknown', confirmation: null };
    if (current.memberId !== memberId)
      return { used: false, reason: 'not-yours', confirmation: current };
    // A copy of the request that used it (a retry): the same use, not a second one.
    if (requestId && current.usedByRequest === requestId && current.decision === decision)
      return { used: true, confirmation: current };
    if (current.usedAt !== null) return { used: false, reason: 'used', confirmation: current };
    return { used: false, reason: 'expired', confirmation: current };
  }
}

function toConfirmation(row: Selectable<ConfirmationsTable>): Confirmation {
  return {
    id: row.id,
    kind: row.kind,
    memberId: row.member_id,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: row.used_at === null ? null : Number(row.used_at),
    decision: row.decision,
    usedByRequest: row.used_by_request,
  };
}
