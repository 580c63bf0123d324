import type { FiringAlert, SilenceMatcher, SilenceSummary } from '@chatops/domain';

export interface NewSilence {
  matchers: SilenceMatcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

/** Alertmanager's API v2, the one place the platform talks to it. */
export interface AlertmanagerRepository {
  /** Alerts firing now, muted ones included (marked), optionally of one environment. */
  listAlerts(filter?: { environment?: string }): Promise<FiringAlert[]>;
  listSilences(): Promise<SilenceSummary[]>;
  getSilence(id: string): Promise<SilenceSummary | null>;
  createSilence(silence: NewSilence): Promise<string>;
  expireSilence(id: string): Promise<void>;
  /** The version it runs (`npm run doctor`'s reachability check). */
  version(): Promise<string | null>;
}

/** Alertmanager did not answer, or refused: the message says which, for the user. */
export class AlertmanagerError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'AlertmanagerError';
  }
}

interface GettableAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL?: string;
  status: { state: FiringAlert['state']; silencedBy: string[] };
}

interface GettableSilence {
  id: string;
  status: { state: SilenceSummary['state'] };
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  createdBy: string;
  comment: string;
  startsAt: string;
  endsAt: string;
}

export class HttpAlertmanagerRepository implements AlertmanagerRepository {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async listAlerts(filter: { environment?: string } = {}): Promise<FiringAlert[]> {
    const query = new URLSearchParams({ active: 'true', silenced: 'true', inhibited: 'true' });
    if (filter.environment)
      query.append('filter', `environment=${JSON.stringify(filter.environment)}`);
    const alerts = (await this.call('GET', `/api/v2/alerts?${query}`)) as GettableAlert[];
    return alerts.map((a) => ({
      fingerprint: a.fingerprint,
      name: a.labels['alertname'] ?? 'alert',
      severity: a.labels['severity'] ?? null,
      summary: a.annotations['summary'] ?? null,
      labels: a.labels,
      startsAt: Date.parse(a.startsAt),
      state: a.status.state,
      silencedBy: a.status.silencedBy ?? [],
      generatorURL: a.generatorURL || null,
    }));
  }

  async listSilences(): Promise<SilenceSummary[]> {
    const silences = (await this.call('GET', '/api/v2/silences')) as GettableSilence[];
    return silences.map(toSilence);
  }

  async getSilence(id: string): Promise<SilenceSummary | null> {
    try {
      return toSilence(
        (await this.call('GET', `/api/v2/silence/${encodeURIComponent(id)}`)) as GettableSilence,
      );
    } catch (error) {
      if (error instanceof AlertmanagerError && error.status === 404) return null;
      throw error;
    }
  }

  async createSilence(silence: NewSilence): Promise<string> {
    const created = (await this.call('POST', '/api/v2/silences', {
      matchers: silence.matchers,
      startsAt: new Date(silence.startsAt).toISOString(),
      endsAt: new Date(silence.endsAt).toISOString(),
      createdBy: silence.createdBy,
      comment: silence.comment,
    })) as { silenceID: string };
    return created.silenceID;
  }

  async expireSilence(id: string): Promise<void> {
    await this.call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
  }

  async version(): Promise<string | null> {
    const status = (await this.call('GET', '/api/v2/status')) as {
      versionInfo?: { version?: string };
    };
    return status.versionInfo?.version ?? null;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const { code, message } =
        (error as { cause?: { code?: string; message?: string } }).cause ?? {};
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer in ${this.timeoutMs} ms`
          : `unreachable (${code ?? message ?? (error as Error).message})`;
      throw new AlertmanagerError(`Alertmanager is ${reason}`, null);
    }
    const text = await response.text();
    if (!response.ok)
      throw new AlertmanagerError(
        `Alertmanager answered ${response.status}: ${text.trim().slice(0, 300) || response.statusText}`,
        response.status,
      );
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}

function toSilence(s: GettableSilence): SilenceSummary {
  return {
    id: s.id,
    state: s.status.state,
    matchers: s.matchers.map((m) => ({
      name: m.name,
      value: m.value,
      isRegex: m.isRegex,
      isEqual: m.isEqual ?? true,
    })),
    createdBy: s.createdBy,
    comment: s.comment,
    startsAt: Date.parse(s.startsAt),
    endsAt: Date.parse(s.endsAt),
  };
}
