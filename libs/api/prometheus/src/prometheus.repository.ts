/** An alerting rule's alert as Prometheus evaluates it now (`GET /api/v1/alerts`). */
export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** `pending` until its `for` has passed, then `firing`. */
  state: 'pending' | 'firing';
  /** When its expression first held (epoch ms). */
  activeAt: number;
}

/** One series of an instant query's result. */
export interface PrometheusSample {
  labels: Record<string, string>;
  /** NaN and ±Inf come back as such. */
  value: number;
}

/** Prometheus's HTTP API v1, the one place the platform queries it. */
export interface PrometheusRepository {
  /** Alerts of the alerting rules, firing and pending. */
  alerts(): Promise<PrometheusAlert[]>;
  /** An instant query (at `time`, epoch ms; default now): a vector or a scalar as one sample. */
  query(promql: string, time?: number): Promise<PrometheusSample[]>;
}

/** Prometheus did not answer, or refused (a query it cannot parse): the message says which. */
export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

interface ApiAnswer {
  status: 'success' | 'error';
  data?: unknown;
  errorType?: string;
  error?: string;
}

type Value = [number, string];

export class HttpPrometheusRepository implements PrometheusRepository {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async alerts(): Promise<PrometheusAlert[]> {
    const data = (await this.call('/api/v1/alerts')) as {
      alerts: {
        labels: Record<string, string>;
        annotations?: Record<string, string>;
        state: string;
        activeAt: string;
      }[];
    };
    return data.alerts
      .filter((a) => a.state === 'firing' || a.state === 'pending')
      .map((a) => ({
        labels: a.labels,
        annotations: a.annotations ?? {},
        state: a.state as PrometheusAlert['state'],
        activeAt: Date.parse(a.activeAt),
      }));
  }

  async query(promql: string, time?: number): Promise<PrometheusSample[]> {
    const params = new URLSearchParams({ query: promql });
    if (time !== undefined) params.set('time', (time / 1000).toFixed(3));
    const data = (await this.call('/api/v1/query', params)) as {
      resultType: 'vector' | 'scalar' | 'matrix' | 'string';
      result: unknown;
    };
    if (data.resultType === 'scalar')
      return [{ labels: {}, value: Number((data.result as Value)[1]) }];
    if (data.resultType !== 'vector')
      throw new PrometheusError(
        `the query gives a ${data.resultType}, not a number per series: use an instant vector`,
        null,
      );
    return (data.result as { metric: Record<string, string>; value: Value }[]).map((s) => ({
      labels: s.metric,
      value: Number(s.value[1]),
    }));
  }

  /** POST for queries: a long PromQL expression does not meet a URL length limit. */
  private async call(path: string, form?: URLSearchParams): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method: form ? 'POST' : 'GET',
        headers: form ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        body: form?.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const { code, message } =
        (error as { cause?: { code?: string; message?: string } }).cause ?? {};
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer in ${this.timeoutMs} ms`
          : `unreachable (${code ?? message ?? (error as Error).message})`;
      throw new PrometheusError(`Prometheus is ${reason}`, null);
    }
    const text = await response.text();
    let answer: ApiAnswer | null = null;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      answer = null;
    }
    if (!response.ok || answer?.status !== 'success')
      throw new PrometheusError(
        `Prometheus answered ${response.status}: ${(answer?.error ?? text).trim().slice(0, 300) || response.statusText}`,
        response.status,
      );
    return answer.data;
  }
}
