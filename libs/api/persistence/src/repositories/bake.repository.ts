import type { Kysely, Selectable } from 'kysely';
import {
  type BakeAction,
  type BakeStatus,
  type BakeView,
  Clock,
  systemClock,
} from '@chatops/domain';
import type { BakesTable, Database } from '../schema';

export interface Bake extends BakeView {
  deploymentId: string;
  service: string;
  environment: string;
  foundAt: number | null;
}

/**
 * Bake windows (see `bake.ts` in the domain). Each step is one conditional write, so among any
 * number of replicas a bake starts once, is looked at once per interval, gets one verdict, and
 * its action is taken by one replica at a time.
 */
export class BakeRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Starts the bake of a deployment; true only for the first caller. */
  async start(bake: {
    deploymentId: string;
    service: string;
    environment: string;
    startedAt: number;
    endsAt: number;
  }): Promise<boolean> {
    const result = await this.db
      .insertInto('bakes')
      .values({
        deployment_id: bake.deploymentId,
        service: bake.service,
        environment: bake.environment,
        started_at: bake.startedAt,
        ends_at: bake.endsAt,
        status: 'baking',
      })
      .onConflict((oc) => oc.column('deployment_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async get(deploymentId: string): Promise<Bake | null> {
    const row = await this.db
      .selectFrom('bakes')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .executeTakeFirst();
    return row ? toBake(row) : null;
  }

  /** Which of these deployments have a bake (started, whatever its status). */
  async known(deploymentIds: readonly string[]): Promise<Set<string>> {
    if (!deploymentIds.length) return new Set();
    const rows = await this.db
      .selectFrom('bakes')
      .select('deployment_id')
      .where('deployment_id', 'in', [...deploymentIds])
      .execute();
    return new Set(rows.map((r) => r.deployment_id));
  }

  /** Bakes still watched, and failed bakes whose action is not done. */
  async listOpen(): Promise<Bake[]> {
    const rows = await this.db
      .selectFrom('bakes')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('status', '=', 'baking'),
          eb.and([eb('status', '=', 'failed'), eb('action', 'is', null)]),
        ]),
      )
      .orderBy('started_at', 'asc')
      .orderBy('deployment_id', 'asc')
      .execute();
    return rows.map(toBake);
  }

  /** One look per `intervalMs` across replicas: true for the caller that gets it. */
  async claimCheck(deploymentId: string, intervalMs: number): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.db
      .updateTable('bakes')
      .set({ checked_at: now })
      .where('deployment_id', '=', deploymentId)
      .where('status', '=', 'baking')
      .where((eb) =>
        eb.or([eb('checked_at', 'is', null), eb('checked_at', '<=', now - intervalMs)]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The verdict, once: true for the caller whose verdict it is. */
  async decide(
    deploymentId: string,
    verdict: { status: Exclude<BakeStatus, 'baking'>; finding?: string; foundAt?: number },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('bakes')
      .set({
        status: verdict.status,
        finding: verdict.finding?.slice(0, 500) ?? null,
        found_at: verdict.foundAt ?? null,
      })
      .where('deployment_id', '=', deploymentId)
      .where('status', '=', 'baking')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Takes a failed bake's action: true for one caller until it records the action, or until
   * `leaseMs` passed (the replica taking it died: another takes it again).
   */
  async claimAction(deploymentId: string, leaseMs: number): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.db
      .updateTable('bakes')
      .set({ action_claimed_at: now })
      .where('deployment_id', '=', deploymentId)
      .where('status', '=', 'failed')
      .where('action', 'is', null)
      .where((eb) =>
        eb.or([eb('action_claimed_at', 'is', null), eb('action_claimed_at', '<=', now - leaseMs)]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async recordAction(deploymentId: string, action: BakeAction, detail: string): Promise<void> {
    await this.db
      .updateTable('bakes')
      .set({ action, action_detail: detail.slice(0, 500) })
      .where('deployment_id', '=', deploymentId)
      .where('action', 'is', null)
      .execute();
  }
}

function toBake(row: Selectable<BakesTable>): Bake {
  return {
    deploymentId: row.deployment_id,
    service: row.service,
    environment: row.environment,
    status: row.status,
    startedAt: Number(row.started_at),
    endsAt: Number(row.ends_at),
    finding: row.finding,
    foundAt: row.found_at === null ? null : Number(row.found_at),
    action: row.action,
    actionDetail: row.action_detail,
  };
}
