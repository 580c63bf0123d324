import {
  hasPermission,
  permissionsFor,
  silenceEnvironment,
  type Catalog,
  type FiringAlert,
  type Permission,
  type SilenceMatcher,
  type SilenceSummary,
  Refusal,
  SILENCE_DURATIONS,
  systemClock,
  type Clock,
  type Actor,
  type SilenceDuration,
} from '@chatops/domain';
import type { Repositories } from '@chatops/persistence';
import { AlertmanagerError, type AlertmanagerRepository } from '@chatops/alertmanager';
import { ALERT_TOPIC, type AlertOutboxPayload } from './topic';

export interface SilenceResult {
  silenceId: string;
  endsAt: number;
  matchers: SilenceMatcher[];
}

type Repos = Pick<Repositories, 'alertGroups' | 'audit' | 'outbox'>;

/**
 * What people do about alerts from Discord: list what fires, silence a group from its message,
 * list and expire silences. Every action is permission-checked here (the bot's check is only
 * for fast feedback), goes through Alertmanager's API and is audited.
 */
export class AlertActions {
  constructor(
    private readonly catalog: Catalog,
    private readonly repositories: Repos,
    private readonly alertmanager: AlertmanagerRepository | null,
    private readonly options: { onRender?: () => void; clock?: Clock } = {},
  ) {}

  /** Without `who`, the caller (the bot, holding the service token) has checked `view`. */
  async listAlerts(environment: string | null, who?: Actor): Promise<FiringAlert[]> {
    if (environment !== null && !this.catalog.environments.some((e) => e.name === environment))
      throw new Refusal(
        'invalid',
        `unknown environment \`${environment}\` (known: ${this.catalog.environments.map((e) => e.name).join(', ')})`,
      );
    if (who) this.require(who, 'view', environment);
    return this.call((am) => am.listAlerts(environment ? { environment } : {}));
  }

  /** Active and pending silences; `canExpire` says whether `who` may expire any of them. */
  async listSilences(who?: Actor): Promise<{ silences: SilenceSummary[]; canExpire: boolean }> {
    if (who) this.require(who, 'view', null);
    const silences = await this.call((am) => am.listSilences());
    return {
      silences: silences.filter((s) => s.state !== 'expired'),
      canExpire: who ? permissionsFor(this.catalog.roles, who.roles, null).has('silence') : false,
    };
  }

  /**
   * Sends again what Discord refused for good (`silence` permission on any environment: alert
   * messages span environments). Audited with how many and the errors they had.
   */
  async requeueRefused(who: Actor): Promise<{ requeued: number; errors: string[] }> {
    await this.requireAudited(who, 'silence', null, { action: 'requeue refused alert messages' });
    const result = await this.repositories.outbox.requeueFailed(ALERT_TOPIC);
    await this.audit(who, 'alerts.requeue', 'succeeded', null, result);
    if (result.requeued) this.options.onRender?.();
    return result;
  }

  /** Silences an alert group for `duration`: matchers are the labels all its alerts share. */
  async silenceGroup(
    groupId: number,
    duration: SilenceDuration,
    who: Actor,
  ): Promise<SilenceResult> {
    const group = await this.repositories.alertGroups.get(groupId);
    if (!group) throw new Refusal('not-found', `alert group ${groupId} not found`);
    const labels = Object.keys(group.state.commonLabels).length
      ? group.state.commonLabels
      : group.state.groupLabels;
    const environment = labels['environment'] ?? null;
    await this.requireAudited(who, 'silence', environment, { groupId });
    if (group.state.status === 'resolved')
      throw new Refusal('conflict', 'this alert has resolved: nothing to silence');
    const matchers = Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
    if (!matchers.length)
      throw new Refusal('not-possible', 'the alert group has no labels to match');
    const now = this.now();
    const endsAt = now + SILENCE_DURATIONS[duration];
    const silenceId = await this.call((am) =>
      am.createSilence({
        matchers,
        startsAt: now,
        endsAt,
        createdBy: who.actor.name,
        comment: `Silenced for ${duration} from Discord by ${who.actor.name} (alert group ${groupId})`,
      }),
    );
    await this.repositories.alertGroups.recordSilence(groupId, {
      id: silenceId,
      until: endsAt,
      by: who.actor.name,
    });
    await this.rerender(groupId, silenceId);
    await this.audit(who, 'silence', 'succeeded', environment, {
      groupId,
      silenceId,
      duration,
      matchers: matchers.map((m) => `${m.name}=${m.value}`),
    });
    return { silenceId, endsAt, matchers };
  }

  async expireSilence(silenceId: string, who: Actor): Promise<SilenceSummary> {
    const silence = await this.call((am) => am.getSilence(silenceId));
    if (!silence) throw new Refusal('not-found', `silence ${silenceId} not found`);
    const environment = silenceEnvironment(silence.matchers);
    await this.requireAudited(who, 'silence', environment, { silenceId });
    if (silence.state === 'expired')
      throw new Refusal('conflict', `silence ${silenceId} has already expired`);
    await this.call((am) => am.expireSilence(silenceId));
    for (const group of await this.repositories.alertGroups.findBySilence(silenceId)) {
      await this.repositories.alertGroups.recordSilence(group.id, null);
      await this.rerender(group.id, `expired:${silenceId}`);
    }
    await this.audit(who, 'silence.expire', 'succeeded', environment, { silenceId });
    return { ...silence, state: 'expired', endsAt: this.now() };
  }

  private now(): number {
    return (this.options.clock ?? systemClock).now();
  }

  private require(who: Actor, permission: Permission, environment: string | null): void {
    if (!hasPermission(this.catalog.roles, who.roles, permission, environment))
      throw new Refusal(
        'denied',
        `you need the \`${permission}\` permission${environment ? ` on \`${environment}\`` : ''}`,
      );
  }

  private async requireAudited(
    who: Actor,
    permission: Permission,
    environment: string | null,
    detail: Record<string, unknown>,
  ): Promise<void> {
    try {
      this.require(who, permission, environment);
    } catch (error) {
      await this.audit(who, permission, 'denied', environment, { ...detail, permission });
      throw error;
    }
  }

  private async rerender(groupId: number, reason: string): Promise<void> {
    const payload: AlertOutboxPayload = { type: 'render', groupId };
    await this.repositories.outbox.enqueue({
      topic: ALERT_TOPIC,
      dedupeKey: `render:${groupId}:${reason}`,
      payload,
    });
    this.options.onRender?.();
  }

  private async call<T>(run: (am: AlertmanagerRepository) => Promise<T>): Promise<T> {
    if (!this.alertmanager)
      throw new Refusal('not-configured', 'Alertmanager is not configured: set ALERTMANAGER_URL');
    try {
      return await run(this.alertmanager);
    } catch (error) {
      if (error instanceof AlertmanagerError) throw new Refusal('alertmanager', error.message);
      throw error;
    }
  }

  private audit(
    who: Actor,
    action: string,
    outcome: 'succeeded' | 'denied',
    environment: string | null,
    detail: Record<string, unknown>,
  ) {
    return this.repositories.audit.append({
      actor: who.actor,
      action,
      outcome,
      service: null,
      environment,
      source: who.source ?? null,
      detail,
    });
  }
}
