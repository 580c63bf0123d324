import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { Clock, systemClock } from '@chatops/domain';
import type { AlertDigestsTable, Database } from '../schema';

export interface AlertDigest {
  id: number;
  channelId: string;
  messageId: string | null;
  postNonce: string;
  groupCount: number;
  openedAt: number;
  lastAddedAt: number;
  resolveNoted: boolean;
}

/**
 * Storm digest pages: one message listing up to a page of alert groups. A page stays open for
 * more groups while they keep arriving (`holdMs` since the last one joined) and has room.
 */
export class AlertDigestRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * A place for one more group on `channelId`: the open page with room (its count taken), or
   * null when the channel has no open page. Safe under concurrent callers: each gets a slot.
   */
  async takeSlot(channelId: string, holdMs: number, pageSize: number): Promise<number | null> {
    const now = this.clock.now();
    // One conditional increment on the newest open page: concurrent takers queue on the row and
    // each sees the count the one before left, so a page never takes more than `pageSize`.
    const taken = await this.db
      .updateTable('alert_digests')
      .set((eb) => ({ group_count: eb('group_count', '+', 1), last_added_at: now }))
      .where('id', '=', (eb) =>
        eb
          .selectFrom('alert_digests')
          .select('id')
          .where('channel_id', '=', channelId)
          .where('last_added_at', '>=', now - holdMs)
          .orderBy('id', 'desc')
          .limit(1),
      )
      .where('group_count', '<', pageSize)
      .returning('id')
      .executeTakeFirst();
    return taken ? Number(taken.id) : null;
  }

  /** Whether a page on the channel took a group within `holdMs`: the storm goes on. */
  async stormGoesOn(channelId: string, holdMs: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('alert_digests')
      .select('id')
      .where('channel_id', '=', channelId)
      .where('last_added_at', '>=', this.clock.now() - holdMs)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** A new page with its first group's slot taken. */
  async open(channelId: string): Promise<number> {
    const now = this.clock.now();
    const row = await this.db
      .insertInto('alert_digests')
      .values({
        channel_id: channelId,
        message_id: null,
        post_nonce: randomBytes(12).toString('hex'),
        group_count: 1,
        opened_at: now,
        last_added_at: now,
        resolve_noted: 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async get(id: number): Promise<AlertDigest | null> {
    const row = await this.db
      .selectFrom('alert_digests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toDigest(row) : null;
  }

  async recordMessage(id: number, messageId: string): Promise<void> {
    await this.db
      .updateTable('alert_digests')
      .set({ message_id: messageId })
      .where('id', '=', id)
      .execute();
  }

  /** Its message was deleted: the next post is a new one, with a new nonce. */
  async forgetMessage(id: number): Promise<void> {
    await this.db
      .updateTable('alert_digests')
      .set({ message_id: null, post_nonce: randomBytes(12).toString('hex') })
      .where('id', '=', id)
      .execute();
  }

  async recordResolveNoted(id: number): Promise<void> {
    await this.db
      .updateTable('alert_digests')
      .set({ resolve_noted: 1 })
      .where('id', '=', id)
      .execute();
  }
}

function toDigest(row: Selectable<AlertDigestsTable>): AlertDigest {
  return {
    id: Number(row.id),
    channelId: row.channel_id,
    messageId: row.message_id,
    postNonce: row.post_nonce,
    groupCount: row.group_count,
    openedAt: Number(row.opened_at),
    lastAddedAt: Number(row.last_added_at),
    resolveNoted: row.resolve_noted === 1,
  };
}
