import type { Kysely } from 'kysely';
import { Clock, systemClock } from '@chatops/domain';
import type { Database } from '../schema';

export interface Approval {
  deploymentId: string;
  approver: { id: string; name: string };
  decidedAt: number;
}

/** Who approved which request; one approval per person per request, however often they press. */
export class ApprovalRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  /** False when this person had already approved it. */
  async record(deploymentId: string, approver: { id: string; name: string }): Promise<boolean> {
    const row = await this.db
      .insertInto('approvals')
      .values({
        deployment_id: deploymentId,
        approver_id: approver.id,
        approver_name: approver.name,
        decided_at: this.clock.now(),
      })
      .onConflict((oc) => oc.columns(['deployment_id', 'approver_id']).doNothing())
      .returning('approver_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Oldest first. */
  async list(deploymentId: string): Promise<Approval[]> {
    const rows = await this.db
      .selectFrom('approvals')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .orderBy('decided_at')
      .orderBy('approver_id')
      .execute();
    return rows.map((row) => ({
      deploymentId: row.deployment_id,
      approver: { id: row.approver_id, name: row.approver_name },
      decidedAt: row.decided_at,
    }));
  }
}
