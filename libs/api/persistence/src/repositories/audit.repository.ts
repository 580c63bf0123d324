import type { Kysely, Selectable } from 'kysely';
import type { AuditEvent, AuditEventInput } from '@chatops/domain';
import { Clock, systemClock } from '@chatops/domain';
import type { AuditEventsTable, Database } from '../schema';

export interface AuditQuery {
  limit?: number;
  /** Only events with an id below this one (paging backwards). */
  beforeId?: number;
  service?: string;
  environment?: string;
  action?: string;
  /** Only what this actor (a Discord user id, or `system:<component>`) did. */
  actorId?: string;
}

/** What one audit record may hold: an oversized or hostile value is kept cut, never whole. */
export const AUDIT_LIMITS = {
  actorId: 64,
  actorName: 100,
  action: 64,
  scope: 100,
  source: 200,
  detailString: 500,
  detailItems: 50,
  detailDepth: 4,
} as const;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/**
 * A value as the audit keeps it: control characters written out (`\u0000`: PostgreSQL cannot
 * store a NUL, and a reader should see one was sent) and anything past `max` characters cut
 * with the original length noted.
 */
export function auditText(value: string, max: number): string {
  const visible = value.replace(
    CONTROL_CHARACTERS,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (visible.length <= max) return visible;
  const note = `… (${value.length} characters)`;
  return visible.slice(0, Math.max(0, max - note.length)) + note;
}

function auditDetail(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return auditText(value, AUDIT_LIMITS.detailString);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= AUDIT_LIMITS.detailDepth) return '…';
  if (Array.isArray(value)) {
    const kept = value.slice(0, AUDIT_LIMITS.detailItems).map((v) => auditDetail(v, depth + 1));
    return value.length > kept.length ? [...kept, `… (${value.length} items)`] : kept;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  return Object.fromEntries(
    entries
      .slice(0, AUDIT_LIMITS.detailItems)
      .map(([k, v]) => [auditText(k, 100), auditDetail(v, depth + 1)]),
  );
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
        actor_id: auditText(input.actor.id, AUDIT_LIMITS.actorId),
        actor_name: auditText(input.actor.name, AUDIT_LIMITS.actorName),
        action: auditText(input.action, AUDIT_LIMITS.action),
        outcome: input.outcome,
        service: optionalText(input.service, AUDIT_LIMITS.scope),
        environment: optionalText(input.environment, AUDIT_LIMITS.scope),
        source: optionalText(input.source, AUDIT_LIMITS.source),
        detail: JSON.stringify(auditDetail(input.detail ?? {}, 0)),
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
    if (query.actorId) select = select.where('actor_id', '=', query.actorId);
    const rows = await select
      .orderBy('id', 'desc')
      .limit(Math.min(query.limit ?? 50, 500))
      .execute();
    return rows.map(toAuditEvent);
  }
}

function optionalText(value: string | null | undefined, max: number): string | null {
  return value === null || value === undefined ? null : auditText(value, max);
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
