import { randomUUID } from 'node:crypto';
import {
  ACTOR_ID_HEADER,
  ACTOR_NAME_HEADER,
  isRefusalReason,
  type RefusalReason,
} from '@chatops/domain';
import type {
  AuditEvent,
  AuditEventInput,
  DeliveryReport,
  DeploymentRequest as DeploymentRequestBody,
  DeploymentSummary,
  FiringAlert,
  FleetStatus,
  RollbackPreview,
  SilenceSummary,
  VersionChoice,
} from '@chatops/domain';

export interface ApiClientOptions {
  baseUrl: string;
  serviceToken: string;
  /** Per-request timeout (default 5 s): Discord gives the bot 3 s to answer, so fail fast. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The request and the deployment as the API takes and returns them (shared with it). */
export type {
  DeliveryReport,
  DeploymentSummary,
  DeploymentRequest as DeploymentRequestBody,
  FleetStatus,
  RollbackPreview,
} from '@chatops/domain';

export type DeploymentOutcome = {
  outcome: 'dispatched' | 'pending_approval' | 'existing';
  deployment: DeploymentSummary;
};

/** A deploy or redeploy the API holds until its requester confirms going back. */
export type { BackwardsConfirmation } from '@chatops/domain';

/** What `/lock` and `/unlock` send: a service or `all`, the environment, the reason, who. */
export interface LockBody {
  service: string;
  environment: string;
  reason: string;
  actor: { id: string; name: string };
  roles: { ids: string[]; names?: string[] };
  source?: string;
}

/** A lock as the API returns it. */
export interface HumanLockView {
  environment: string;
  /** A service, or '*' for the whole environment. */
  service: string;
  holder: { id: string; name: string };
  reason: string;
  acquiredAt: number;
  expiresAt: number | null;
}

export type DecisionOutcome = {
  outcome?: 'dispatched' | 'approved' | 'existing' | 'cancelled' | 'cancelling' | 'already_ended';
  remaining?: number;
  deployment: DeploymentSummary;
};

export interface RefChoice {
  name: string;
  kind: 'branch' | 'tag' | 'commit';
  description?: string;
}

/** The API answered with an error, or could not be reached. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the API was unreachable or timed out. */
    readonly status: number,
    readonly problems: readonly string[] = [],
    /** The refusal's reason (`needs-confirmation`, `denied`…), when the API gave a known one. */
    readonly reason: RefusalReason | null = null,
    /** What the client needs to act on it (a confirmation to answer). */
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The bot's only way to the system of record: HTTP with the service token. Every call carries
 * an x-request-id so one action can be followed through both apps' logs.
 */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(
    private readonly options: ApiClientOptions,
    /** The member on whose behalf calls are made (sent as headers; the audit names them). */
    private readonly actor: { id: string; name: string } | null = null,
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /**
   * The same client, its calls made on behalf of this member: a refusal of a call that names
   * nobody in its body (a query) is then audited as theirs, not as the bot's.
   */
  onBehalfOf(actor: { id: string; name: string }): ApiClient {
    return new ApiClient(this.options, actor);
  }

  /** Round trip through the API, including the token check. */
  async ping(): Promise<{ roundTripMs: number }> {
    const started = performance.now();
    await this.request<{ pong: true }>('GET', '/v1/ping');
    return { roundTripMs: performance.now() - started };
  }

  recordAudit(event: AuditEventInput): Promise<AuditEvent> {
    return this.request<AuditEvent>('POST', '/v1/audit', event);
  }

  /** Newest first. */
  async listAudit(query: {
    limit: number;
    service?: string;
    environment?: string;
    /** Only what this actor did: a Discord user id, or `system:<component>`. */
    actorId?: string;
  }): Promise<AuditEvent[]> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.service) params.set('service', query.service);
    if (query.environment) params.set('environment', query.environment);
    if (query.actorId) params.set('actorId', query.actorId);
    const { events } = await this.request<{ events: AuditEvent[] }>(
      'GET',
      `/v1/audit?${params.toString()}`,
    );
    return events;
  }

  /** Asks for a deploy, infra run or AMI build; the API validates, gates, locks and dispatches. */
  requestDeployment(request: DeploymentRequestBody): Promise<DeploymentOutcome> {
    return this.request<DeploymentOutcome>('POST', '/v1/deployments', request);
  }

  decide(
    deploymentId: string,
    decision: 'approve' | 'reject' | 'cancel',
    who: Pick<DeploymentRequestBody, 'actor' | 'roles' | 'source'>,
  ): Promise<DecisionOutcome> {
    return this.request<DecisionOutcome>(
      'POST',
      `/v1/deployments/${encodeURIComponent(deploymentId)}/${decision}`,
      who,
    );
  }

  async getDeployment(deploymentId: string): Promise<DeploymentSummary> {
    return this.request<DeploymentSummary>(
      'GET',
      `/v1/deployments/${encodeURIComponent(deploymentId)}`,
    );
  }

  /** Newest first. */
  async listDeployments(query: {
    limit: number;
    service?: string;
    environment?: string;
  }): Promise<DeploymentSummary[]> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.service) params.set('service', query.service);
    if (query.environment) params.set('environment', query.environment);
    const { deployments } = await this.request<{ deployments: DeploymentSummary[] }>(
      'GET',
      `/v1/deployments?${params.toString()}`,
    );
    return deployments;
  }

  /** Alerts firing now (from Alertmanager), for one environment or all of them. */
  async firingAlerts(environment?: string): Promise<FiringAlert[]> {
    const query = environment ? `?${new URLSearchParams({ environment }).toString()}` : '';
    const { alerts } = await this.request<{ alerts: FiringAlert[] }>('GET', `/v1/alerts${query}`);
    return alerts;
  }

  /** Active and pending silences. */
  async silences(): Promise<SilenceSummary[]> {
    const { silences } = await this.request<{ silences: SilenceSummary[] }>('GET', '/v1/silences');
    return silences;
  }

  /** Silences an alert group from its message (the API checks the `silence` permission). */
  silenceAlertGroup(
    groupId: number,
    duration: '1h' | '4h',
    who: Pick<DeploymentRequestBody, 'actor' | 'roles' | 'source'>,
  ): Promise<{ silenceId: string; endsAt: number }> {
    return this.request('POST', `/v1/alerts/groups/${groupId}/silence`, { ...who, duration });
  }

  expireSilence(
    silenceId: string,
    who: Pick<DeploymentRequestBody, 'actor' | 'roles' | 'source'>,
  ): Promise<{ silence: SilenceSummary }> {
    return this.request('POST', `/v1/silences/${encodeURIComponent(silenceId)}/expire`, who);
  }

  /** Sends again the alert messages Discord refused (the API checks `silence`). */
  requeueRefusedAlerts(
    who: Pick<DeploymentRequestBody, 'actor' | 'roles' | 'source'>,
  ): Promise<{ requeued: number; errors: string[] }> {
    return this.request('POST', '/v1/alerts/deliveries/requeue', who);
  }

  /** The hosts and what they run, for one environment or all of them. */
  /** The delivery metrics (DORA) over the last `days`, for a service and environment or all. */
  deliveryMetrics(
    query: { service?: string; environment?: string; days?: number } = {},
  ): Promise<DeliveryReport> {
    const params = new URLSearchParams();
    if (query.service) params.set('service', query.service);
    if (query.environment) params.set('environment', query.environment);
    if (query.days !== undefined) params.set('days', String(query.days));
    const search = params.toString();
    return this.request<DeliveryReport>('GET', `/v1/delivery/metrics${search ? `?${search}` : ''}`);
  }

  fleetStatus(environment?: string): Promise<FleetStatus> {
    const query = environment ? `?${new URLSearchParams({ environment }).toString()}` : '';
    return this.request<FleetStatus>('GET', `/v1/fleet/status${query}`);
  }

  /** What `/rollback` would return to (422 when there is nothing earlier). */
  rollbackPreview(service: string, environment: string): Promise<RollbackPreview> {
    return this.request<RollbackPreview>(
      'GET',
      `/v1/fleet/rollback?${new URLSearchParams({ service, environment }).toString()}`,
    );
  }

  /** The rollback preview with a confirmation only this member can answer, once. */
  confirmRollback(
    service: string,
    environment: string,
    who: {
      actor: { id: string; name: string };
      roles: { ids: string[]; names?: string[] };
      source?: string;
    },
    /** The version chosen with `to:` (default: the last known good). */
    to?: string | null,
  ): Promise<RollbackPreview> {
    return this.request<RollbackPreview>('POST', '/v1/fleet/rollback/confirmations', {
      service,
      environment,
      ...(to ? { to } : {}),
      ...who,
    });
  }

  /** Places a lock on a service (or `all` of an environment). */
  lock(body: LockBody & { durationMinutes?: number | null }): Promise<HumanLockView> {
    return this.request<HumanLockView>('POST', '/v1/locks', body);
  }

  /** Releases a lock (its holder, or someone with `unlock`). */
  async unlock(body: LockBody): Promise<HumanLockView> {
    const { released } = await this.request<{ released: HumanLockView }>(
      'POST',
      '/v1/locks/release',
      body,
    );
    return released;
  }

  /** Keep: the confirmation is spent and nothing changes. */
  async keepConfirmation(
    confirmationId: string,
    who: {
      actor: { id: string; name: string };
      roles: { ids: string[]; names?: string[] };
      source?: string;
    },
  ): Promise<void> {
    await this.request(
      'POST',
      `/v1/fleet/rollback/confirmations/${encodeURIComponent(confirmationId)}/keep`,
      who,
    );
  }

  /** Versions deployed before, newest first (the current one marked). */
  async recentVersions(service: string, environment: string): Promise<VersionChoice[]> {
    const { versions } = await this.request<{ versions: VersionChoice[] }>(
      'GET',
      `/v1/fleet/versions?${new URLSearchParams({ service, environment }).toString()}`,
    );
    return versions;
  }

  async suggestRefs(query: string): Promise<RefChoice[]> {
    const { refs } = await this.request<{ refs: RefChoice[] }>(
      'GET',
      `/v1/github/refs?${new URLSearchParams({ q: query }).toString()}`,
    );
    return refs;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.serviceToken}`,
          'x-request-id': randomUUID(),
          ...(this.actor
            ? {
                [ACTOR_ID_HEADER]: this.actor.id,
                [ACTOR_NAME_HEADER]: encodeURIComponent(this.actor.name),
              }
            : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : describe(error);
      throw new ApiError(`API unreachable at ${this.baseUrl}: ${reason}`, 0);
    }
    const text = await res.text();
    const parsed = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const fields = (parsed ?? {}) as {
        message?: unknown;
        problems?: unknown;
        reason?: unknown;
        details?: unknown;
      };
      throw new ApiError(
        typeof fields.message === 'string' ? fields.message : `API answered ${res.status}`,
        res.status,
        Array.isArray(fields.problems) ? fields.problems.map(String) : [],
        isRefusalReason(fields.reason) ? fields.reason : null,
        fields.details && typeof fields.details === 'object'
          ? (fields.details as Record<string, unknown>)
          : null,
      );
    }
    return parsed as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
