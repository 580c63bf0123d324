import type { Kysely, Selectable } from 'kysely';
import { Clock, systemClock } from '@chatops/domain';
import type { Database, EnvironmentLocksTable } from '../schema';

export interface LockKey {
  environment: string;
  /** A service, or '*' for the whole environment. */
  service: string;
}

export interface Lock extends LockKey {
  holderId: string;
  holderName: string;
  reason: string;
  acquiredAt: number;
  expiresAt: number;
}

export interface AcquireLock extends LockKey {
  holderId: string;
  holderName: string;
  reason: string;
  ttlMs: number;
}

export type AcquireResult = { acquired: true; lock: Lock } | { acquired: false; heldBy: Lock };

const ACQUIRE_ATTEMPTS = 3;

/**
 * Leases on (environment, service). A lease is taken with one atomic upsert that succeeds only
 * when the row is absent, expired or already ours, so it is correct across API replicas sharing
 * one PostgreSQL database; a crashed holder's lease simply expires.
 */
export class LockRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  async acquire(request: AcquireLock): Promise<AcquireResult> {
    for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      const row = await this.db
        .insertInto('environment_locks')
        .values({
          environment: request.environment,
          service: request.service,
          holder_id: request.holderId,
          holder_name: request.holderName,
          reason: request.reason,
          acquired_at: now,
          expires_at: now + request.ttlMs,
        })
        .onConflict((oc) =>
          oc
            .columns(['environment', 'service'])
            .doUpdateSet((eb) => ({
              holder_id: eb.ref('excluded.holder_id'),
              holder_name: eb.ref('excluded.holder_name'),
              reason: eb.ref('excluded.reason'),
              // Re-acquiring our own lease extends it without resetting when we took it.
              acquired_at: eb
                .case()
                .when('environment_locks.holder_id', '=', eb.ref('excluded.holder_id'))
                .then(eb.ref('environment_locks.acquired_at'))
                .else(eb.ref('excluded.acquired_at'))
                .end(),
              expires_at: eb.ref('excluded.expires_at'),
            }))
            .where((eb) =>
              eb.or([
                eb('environment_locks.expires_at', '<=', now),
                eb('environment_locks.holder_id', '=', request.holderId),
              ]),
            ),
        )
        .returningAll()
        .executeTakeFirst();
      if (row) return { acquired: true, lock: toLock(row) };
      const holder = await this.get(request);
      if (holder) return { acquired: false, heldBy: holder };
      // Released or expired between the two statements: try again.
    }
    throw new Error(
      `lock ${request.environment}/${request.service} is changing too fast to acquire`,
    );
  }

  /** Extends a lease we still hold; false when it was lost (expired and taken over, or released). */
  async renew(key: LockKey, holderId: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.db
      .updateTable('environment_locks')
      .set({ expires_at: now + ttlMs })
      .where('environment', '=', key.environment)
      .where('service', '=', key.service)
      .where('holder_id', '=', holderId)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Releases a lease only if `holderId` holds it; false otherwise. */
  async release(key: LockKey, holderId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('environment_locks')
      .where('environment', '=', key.environment)
      .where('service', '=', key.service)
      .where('holder_id', '=', holderId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Removes a lease whoever holds it (an operator's unlock). */
  async forceRelease(key: LockKey): Promise<Lock | null> {
    const row = await this.db
      .deleteFrom('environment_locks')
      .where('environment', '=', key.environment)
      .where('service', '=', key.service)
      .returningAll()
      .executeTakeFirst();
    return row ? toLock(row) : null;
  }

  /** The live lease on a key, or null when free or expired. */
  async get(key: LockKey): Promise<Lock | null> {
    const row = await this.db
      .selectFrom('environment_locks')
      .selectAll()
      .where('environment', '=', key.environment)
      .where('service', '=', key.service)
      .where('expires_at', '>', this.clock.now())
      .executeTakeFirst();
    return row ? toLock(row) : null;
  }

  async listActive(environment?: string): Promise<Lock[]> {
    let select = this.db
      .selectFrom('environment_locks')
      .selectAll()
      .where('expires_at', '>', this.clock.now());
    if (environment) select = select.where('environment', '=', environment);
    const rows = await select.orderBy('environment').orderBy('service').execute();
    return rows.map(toLock);
  }
}

function toLock(row: Selectable<EnvironmentLocksTable>): Lock {
  return {
    environment: row.environment,
    service: row.service,
    holderId: row.holder_id,
    holderName: row.holder_name,
    reason: row.reason,
    acquiredAt: row.acquired_at,
    expiresAt: row.expires_at,
  };
}
