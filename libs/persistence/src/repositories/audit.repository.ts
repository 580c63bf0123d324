import type { Kysely, Selectable } from 'kysely';
import type { AuditEvent, AuditEventInput } from '@chatops/domain';
import { Clock, systemClock } from '../clock';
import type { AuditEventsTable, Database } from '../schema';

export interface AuditQuery {
  limit?: number;
  /** Only events with an id below this one (paging backwards). */
  beforeId?: number;
  service?: string;
  environment?: string;
  action?: string;
}

/** Append-only record of who did what; the database refuses updates and deletes. */
export class AuditRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  async append(input: AuditEventInput): Promise<AuditEvent> {
    const row = await this.db
      .insertInto('audit_events')
      .values({
        occurred_at: this.clock.now(),
        actor_id: input.actor.id,
        actor_name: input.actor.name,
        action: input.action,
        outcome: input.outcome,
        service: input.service ?? null,
        environment: input.environment ?? null,
        source: input.source ?? null,
        detail: JSON.stringify(input.detail ?? {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAuditEvent(row);
  }

  /** Newest first. */
  async list(query: AuditQuery = {}): Promise<AuditEvent[]> {
    let select = this.db.selectFrom('audit_events').selectAll();
    if (query.beforeId !== undefined) select = select.where('id', '<', query.beforeId);
    if (query.service) select = select.where('service', '=', query.service);
    if (query.environment) select = select.where('environment', '=', query.environment);
    if (query.action) select = select.where('action', '=', query.action);
    const rows = await select
      .orderBy('id', 'desc')
      .limit(Math.min(query.limit ?? 50, 500))
      .execute();
    return rows.map(toAuditEvent);
  }
}

function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    id: row.id,
    occurredAt: row.occurred_at,
    actor: { id: row.actor_id, name: row.actor_name },
    action: row.action,
    outcome: row.outcome,
    service: row.service,
    environment: row.environment,
    source: row.source,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  };
}
