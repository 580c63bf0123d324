import { plainText } from '@chatops/discord-ui';
import { Actor, Catalog, hasPermission, Refusal } from '@chatops/domain';
import type { HumanLock, Repositories } from '@chatops/persistence';
import { WHOLE_ENVIRONMENT } from '@chatops/persistence';

/** `/lock` and `/unlock`: a service, or `all` of an environment. */
export const ALL_SERVICES = 'all';
/** The longest a lock may be placed for (a week); without a duration it holds until `/unlock`. */
export const MAX_LOCK_MINUTES = 7 * 24 * 60;

export interface LockRequest extends Actor {
  /** A catalog service, or `all`. */
  service: string;
  environment: string;
  reason: string;
  /** Null or absent: until someone unlocks it. */
  durationMinutes?: number | null;
}

/**
 * Locks people control ("hold prod, I'm investigating"): placed by anyone who may deploy there,
 * released by its holder or by someone with `unlock`, or by its expiry. While one applies, deploys,
 * redeploys and rollbacks by anyone but its holder are refused, saying who holds it, since when
 * and why. Both are audited with the reason.
 */
export class HumanLocks {
  constructor(
    private readonly catalog: Catalog,
    private readonly repositories: Pick<Repositories, 'humanLocks' | 'audit'>,
  ) {}

  async lock(request: LockRequest): Promise<HumanLock> {
    const service = await this.checked(request, 'lock');
    if (!hasPermission(this.catalog.roles, request.roles, 'deploy', request.environment)) {
      await this.audit(request, 'lock', 'denied', { permission: 'deploy' });
      throw new Refusal(
        'denied',
        `you need the \`deploy\` permission on \`${request.environment}\` to lock it`,
      );
    }
    const minutes = request.durationMinutes ?? null;
    const placed = await this.repositories.humanLocks.place({
      environment: request.environment,
      service,
      holder: request.actor,
      reason: request.reason,
      durationMs: minutes === null ? null : minutes * 60_000,
    });
    if (!placed.placed) {
      const refusal = lockedRefusal([placed.heldBy]);
      await this.audit(request, 'lock', 'rejected', { reason: refusal.message });
      throw refusal;
    }
    await this.audit(request, 'lock', 'succeeded', {
      reason: request.reason,
      until: placed.lock.expiresAt,
    });
    return placed.lock;
  }

  async unlock(request: LockRequest): Promise<HumanLock> {
    const service = await this.checked(request, 'unlock');
    const held = await this.repositories.humanLocks.get(request.environment, service);
    if (!held) {
      const reason = `${describe(service, request.environment)} is not locked`;
      await this.audit(request, 'unlock', 'rejected', { reason });
      throw new Refusal('not-found', reason);
    }
    const own = held.holder.id === request.actor.id;
    if (!own && !hasPermission(this.catalog.roles, request.roles, 'unlock', request.environment)) {
      await this.audit(request, 'unlock', 'denied', { permission: 'unlock' });
      throw new Refusal(
        'denied',
        `${held.holder.name} holds this lock: releasing another's needs the \`unlock\` permission on \`${request.environment}\``,
      );
    }
    await this.repositories.humanLocks.release(request.environment, service);
    await this.audit(request, 'unlock', 'succeeded', {
      reason: request.reason,
      heldBy: held.holder,
      lockReason: held.reason,
    });
    return held;
  }

  /** Why a deploy, redeploy or rollback by this member is held, or null. */
  async refusalFor(environment: string, service: string, actorId: string): Promise<Refusal | null> {
    const holding = (await this.repositories.humanLocks.applying(environment, service)).filter(
      (lock) => lock.holder.id !== actorId,
    );
    return holding.length ? lockedRefusal(holding) : null;
  }

  inForce(environment?: string): Promise<HumanLock[]> {
    return this.repositories.humanLocks.inForce(environment);
  }

  /** The service as stored ('*' for all), after the names are checked against the catalog. */
  private async checked(request: LockRequest, action: 'lock' | 'unlock'): Promise<string> {
    const problems = [
      ...(this.catalog.environments.some((e) => e.name === request.environment)
        ? []
        : [`unknown environment \`${request.environment}\``]),
      ...(request.service === ALL_SERVICES ||
      this.catalog.services.some((s) => s.name === request.service)
        ? []
        : [`unknown service \`${request.service}\` (or \`${ALL_SERVICES}\`)`]),
      ...(request.durationMinutes != null &&
      !(
        Number.isInteger(request.durationMinutes) &&
        request.durationMinutes >= 1 &&
        request.durationMinutes <= MAX_LOCK_MINUTES
      )
        ? [`duration must be 1–${MAX_LOCK_MINUTES} minutes`]
        : []),
    ];
    if (problems.length) {
      await this.audit(request, action, 'rejected', { problems });
      throw new Refusal('invalid', problems.join('; '), problems);
    }
    return request.service === ALL_SERVICES ? WHOLE_ENVIRONMENT : request.service;
  }

  private audit(
    request: LockRequest,
    action: 'lock' | 'unlock',
    outcome: 'succeeded' | 'rejected' | 'denied',
    detail: Record<string, unknown>,
  ) {
    return this.repositories.audit.append({
      actor: request.actor,
      action,
      outcome,
      service: request.service === ALL_SERVICES ? null : request.service,
      environment: request.environment,
      source: request.source ?? null,
      detail: { service: request.service, ...detail },
    });
  }
}

function describe(service: string, environment: string): string {
  return service === WHOLE_ENVIRONMENT ? `all of ${environment}` : `${service} on ${environment}`;
}

/** "api on prod is locked by alice since <t:…:R>: investigating (until <t:…:t>)". */
export function lockedRefusal(locks: readonly HumanLock[]): Refusal {
  const lines = locks.map(
    (lock) =>
      `${describe(lock.service, lock.environment)} is locked by ${plainText(lock.holder.name, 100)} since <t:${Math.floor(lock.acquiredAt / 1000)}:R>: ${plainText(lock.reason, 200)}${lock.expiresAt ? ` (until <t:${Math.floor(lock.expiresAt / 1000)}:t>)` : ''}`,
  );
  return new Refusal('locked', lines.join('; '));
}
