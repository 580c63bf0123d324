/**
 * The fault switches every stand-in offers, one mechanism for the three: the next requests
 * matching a route answered with a status (each stand-in words the body as its API would), and
 * outages during which connections are dropped unanswered. Tests flip them directly; other
 * processes (the sandbox console, an end-to-end test) through `POST /_sim/faults`.
 */
export class FaultPlan {
  private readonly planned: { route: RegExp; remaining: number; status: number }[] = [];
  private downUntil = 0;

  /** The next `count` requests matching `route` (`METHOD /path`) answer `status`. */
  failNext(route: RegExp, count = 1, status = 500): void {
    if (count > 0) this.planned.push({ route, remaining: count, status });
  }

  /** For `ms`, every request has its connection dropped unanswered. */
  outage(ms: number): void {
    this.downUntil = Date.now() + ms;
  }

  get down(): boolean {
    return Date.now() < this.downUntil;
  }

  /** The status this request meets (one planned fault used up), or null: none. */
  take(key: string): number | null {
    const fault = this.planned.find((f) => f.remaining > 0 && f.route.test(key));
    if (!fault) return null;
    fault.remaining--;
    if (fault.remaining === 0) this.planned.splice(this.planned.indexOf(fault), 1);
    return fault.status;
  }

  /** Faults still planned, for a control plane's answer. */
  pending(): { route: string; remaining: number; status: number }[] {
    return this.planned.map((f) => ({
      route: f.route.source,
      remaining: f.remaining,
      status: f.status,
    }));
  }

  clear(): void {
    this.planned.splice(0);
    this.downUntil = 0;
  }
}

/**
 * `POST /_sim/faults` with `{ route?, count?, status? }` (route a regular expression over
 * `METHOD /path`) or `{ outageMs }`; `DELETE /_sim/faults` clears them. Null for other paths.
 */
export function faultControl(
  plan: FaultPlan,
  method: string,
  path: string,
  body: Record<string, unknown>,
): { status: number; body: unknown } | null {
  if (!/^\/_sim(\/[a-z]+)?\/faults$/.test(path)) return null;
  if (method === 'DELETE') {
    plan.clear();
    return { status: 200, body: { pending: [] } };
  }
  if (method !== 'POST') return { status: 405, body: { message: 'POST or DELETE' } };
  const { route, count, status, outageMs } = body;
  if (outageMs !== undefined) {
    if (typeof outageMs !== 'number' || !(outageMs > 0) || outageMs > 600_000)
      return { status: 400, body: { message: 'outageMs must be 1 to 600000' } };
    plan.outage(outageMs);
    return { status: 200, body: { downForMs: outageMs } };
  }
  const times = count ?? 1;
  const answer = status ?? 500;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1 || times > 10_000)
    return { status: 400, body: { message: 'count must be 1 to 10000' } };
  if (typeof answer !== 'number' || !Number.isInteger(answer) || answer < 400 || answer > 599)
    return { status: 400, body: { message: 'status must be 400 to 599' } };
  let pattern: RegExp;
  try {
    pattern = new RegExp(typeof route === 'string' && route ? route : '.');
  } catch {
    return { status: 400, body: { message: 'route must be a regular expression' } };
  }
  plan.failNext(pattern, times, answer);
  return { status: 200, body: { pending: plan.pending() } };
}
