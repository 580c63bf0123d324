import { Refusal, type AuditEvent, type AuditEventInput } from '@chatops/domain';
import type { AuditQuery, Repositories } from '@chatops/persistence';

/** What a client may write to the trail itself: the refusals it made before calling the API. */
const CLIENT_OUTCOMES: ReadonlySet<AuditEventInput['outcome']> = new Set(['rejected', 'denied']);

/**
 * The audit trail as clients reach it. The bot records what it refused on its own (a member
 * without the permission, invalid options, a button it did not make) so the trail shows
 * attempts, not only actions; everything else is recorded by the API where it happens, so a
 * client can neither claim an outcome nor act in the platform's name.
 */
export class AuditTrail {
  constructor(private readonly repositories: Pick<Repositories, 'audit'>) {}

  async recordClientRefusal(event: AuditEventInput): Promise<AuditEvent> {
    const problems = [
      ...(CLIENT_OUTCOMES.has(event.outcome)
        ? []
        : [
            `outcome: a client records only what it refused (rejected or denied), not ${event.outcome}`,
          ]),
      ...(event.actor.id.startsWith('system:')
        ? ['actor.id: a client cannot record in the platform’s name']
        : []),
    ];
    if (problems.length) {
      await this.repositories.audit.append({
        actor: event.actor,
        action: 'audit',
        outcome: 'rejected',
        source: event.source ?? null,
        detail: { problems, claimed: { action: event.action, outcome: event.outcome } },
      });
      throw new Refusal('invalid', problems.join('; '), problems);
    }
    return this.repositories.audit.append(event);
  }

  list(query: AuditQuery): Promise<AuditEvent[]> {
    return this.repositories.audit.list(query);
  }
}
