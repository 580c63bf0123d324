import type { Kysely, Selectable } from 'kysely';
import { Clock, systemClock } from '@chatops/domain';
import type { Database, HumanLocksTable } from '../schema';

/** The whole environment, for `HumanLock.service`. */
export const WHOLE_ENVIRONMENT = '*';

export interface HumanLock {
  environment: string;
  /** A service, or '*' for the whole environment. */
  service: string;
  holder: { id: string; name: string };
  reason: string;
  acquiredAt: number;
  /** Null: until someone unlocks it. */
  expiresAt: number | null;
}

export type PlaceResult = { placed: true; lock: HumanLock } | { placed: false; heldBy: HumanLock };

/**
 * Locks people place on a service or a whole environment ("hold prod, I'm investigating"),
 * stored apart from the deploy leases so none is ever reaped as a stale lease. Placing is one
 * conditional upsert (it takes over only an expired lock), correct across replicas.
 */
export class HumanLockRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  async place(input: {
    environment: string;
    service: string;
    holder: { id: string; name: string };
    reason: string;
    durationMs: number | null;
  }): Promise<PlaceResult> {
    const now = this.clock.now();
    const row = await this.db
      .insertInto('human_locks')
      .values({
        environment: input.environment,
        service: input.service,
        holder_id: input.holder.id,
        holder_name: input.holder.name,
        reason: input.reason,
        acquired_at: now,
        expires_at: input.durationMs === null ? null : now + input.durationMs,
      })
      .onConflict((oc) =>
        oc
          .columns(['environment', 'service'])
          .doUpdateSet((eb) => ({
            holder_id: eb.ref('excluded.holder_id'),
            holder_name: eb.ref('excluded.holder_name'),
            reason: eb.ref('excluded.reason'),
            acquired_at: eb.ref('excluded.acquired_at'),
            expires_at: eb.ref('excluded.expires_at'),
          }))
          .where('human_locks.expires_at', 'is not', null)
          .where('human_locks.expires_at', '<=', now),
      )
      .returningAll()
      .executeTakeFirst();
    if (row) return { placed: true, lock: toLock(row) };
    const held = await this.get(input.environment, input.service);
    if (!held) return this.place(input);
    return { placed: false, heldBy: held };
  }

  /** Removes the lock; the lock removed, or null if there was none in force. */
  async release(environment: string, service: string): Promise<HumanLock | null> {
    const held = await this.get(environment, service);
    if (!held) return null;
    await this.db
      .deleteFrom('human_locks')
      .where('environment', '=', environment)
      .where('service', '=', service)
      .where('acquired_at', '=', held.acquiredAt)
      .execute();
    return held;
  }

  /** The lock in force on exactly this (environment, service), if any. */
  async get(environment: string, service: string): Promise<HumanLock | null> {
    const [lock] = (await this.inForce(environment)).filter((l) => l.service === service);
    return lock ?? null;
  }

  /** The locks that hold a request for this service there: its own and the environment's. */
  async applying(environment: string, service: string): Promise<HumanLock[]> {
    return (await this.inForce(environment)).filter(
      (l) => l.service === service || l.service === WHOLE_ENVIRONMENT,
    );
  }

  /** Every lock in force (in one environment, or all), oldest first. */
  async inForce(environment?: string): Promise<HumanLock[]> {
    const now = this.clock.now();
    let select = this.db
      .selectFrom('human_locks')
      .selectAll()
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    if (environment) select = select.where('environment', '=', environment);
    return (await select.orderBy('acquired_at').execute()).map(toLock);
  }
}

function toLock(row: Selectable<HumanLocksTable>): HumanLock {
  return {
    environment: row.environment,
    service: row.service,
    holder: { id: row.holder_id, name: row.holder_name },
    reason: row.reason,
    acquiredAt: Number(row.acquired_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}
