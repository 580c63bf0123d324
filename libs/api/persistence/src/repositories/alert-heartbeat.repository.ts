import type { Kysely } from 'kysely';
import { Clock, systemClock } from '@chatops/domain';
import type { Database } from '../schema';

export interface Heartbeat {
  name: string;
  lastSeenAt: number;
  /** The `lastSeenAt` after which it went missing; null while it arrives. */
  missingSince: number | null;
}

/**
 * When each always-firing alert (Alertmanager's watchdog) last arrived. Every transition is one
 * conditional write, so among replicas exactly one reports it missing, and one reports it back.
 */
export class AlertHeartbeatRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(name: string): Promise<Heartbeat | null> {
    const row = await this.db
      .selectFrom('alert_heartbeats')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row
      ? {
          name: row.name,
          lastSeenAt: Number(row.last_seen_at),
          missingSince: row.missing_since === null ? null : Number(row.missing_since),
        }
      : null;
  }

  /** It arrived now; what was stored before (null the first time). */
  async beat(name: string): Promise<Heartbeat | null> {
    const before = await this.get(name);
    const now = this.clock.now();
    await this.db
      .insertInto('alert_heartbeats')
      .values({ name, last_seen_at: now, missing_since: null })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ last_seen_at: now })
          .where('alert_heartbeats.last_seen_at', '<', now),
      )
      .execute();
    return before;
  }

  /** Marks it missing after `lastSeenAt`, unless it arrived since or is marked already. */
  async markMissing(name: string, lastSeenAt: number): Promise<boolean> {
    const result = await this.db
      .updateTable('alert_heartbeats')
      .set({ missing_since: lastSeenAt })
      .where('name', '=', name)
      .where('last_seen_at', '=', lastSeenAt)
      .where('missing_since', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Clears the mark `missingSince` set; false when another replica cleared it first. */
  async clearMissing(name: string, missingSince: number): Promise<boolean> {
    const result = await this.db
      .updateTable('alert_heartbeats')
      .set({ missing_since: null })
      .where('name', '=', name)
      .where('missing_since', '=', missingSince)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
