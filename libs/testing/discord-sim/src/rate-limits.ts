/** A bucket: at most `limit` requests per `windowMs` for routes matching `route` ("METHOD /path" regex). */
export interface BucketConfig {
  route: RegExp;
  limit: number;
  windowMs: number;
}

interface BucketState {
  remaining: number;
  resetAt: number;
}

interface ForcedLimit {
  route: RegExp;
  count: number;
  retryAfterMs: number;
}

export interface RateLimitDecision {
  headers: Record<string, string>;
  /** Set when the request must be refused with 429. */
  retryAfterMs?: number;
}

/**
 * Discord-style rate limits: X-RateLimit-* headers on every limited route and a 429 with
 * `retry_after` when a bucket is empty. Tests can also force the next N matching requests to
 * be limited.
 */
export class RateLimiter {
  private readonly states = new Map<string, BucketState>();
  private readonly forced: ForcedLimit[] = [];
  private random: { route: RegExp; probability: number; retryAfterMs: number } | null = null;

  constructor(private buckets: BucketConfig[] = []) {}

  configure(buckets: BucketConfig[]): void {
    this.buckets = buckets;
    this.states.clear();
  }

  /** The next `count` requests matching `route` get a 429 with this retry_after. */
  forceNext(route: RegExp, count = 1, retryAfterMs = 1000): void {
    this.forced.push({ route, count, retryAfterMs });
  }

  /**
   * From now on, a `probability` share of requests matching `route` get a 429 whatever their
   * bucket holds (as Discord does under load or for its global limits). 0 turns it off.
   */
  injectRandom(route: RegExp, probability: number, retryAfterMs = 1000): void {
    this.random = probability > 0 ? { route, probability, retryAfterMs } : null;
  }

  /** 429s answered so far, injected or from an empty bucket. */
  limited = 0;

  check(key: string, now = Date.now()): RateLimitDecision {
    const decision = this.decide(key, now);
    if (decision.retryAfterMs !== undefined) this.limited++;
    return decision;
  }

  private decide(key: string, now: number): RateLimitDecision {
    if (this.random && this.random.route.test(key) && Math.random() < this.random.probability)
      return {
        headers: this.headers('random', 1, 0, this.random.retryAfterMs),
        retryAfterMs: this.random.retryAfterMs,
      };
    const forced = this.forced.find((f) => f.route.test(key) && f.count > 0);
    if (forced) {
      forced.count--;
      return {
        headers: this.headers('forced', 1, 0, forced.retryAfterMs),
        retryAfterMs: forced.retryAfterMs,
      };
    }
    const index = this.buckets.findIndex((b) => b.route.test(key));
    const bucket = this.buckets[index];
    if (!bucket) return { headers: {} };
    const id = `${index}:${key}`;
    let state = this.states.get(id);
    if (!state || state.resetAt <= now) {
      state = { remaining: bucket.limit, resetAt: now + bucket.windowMs };
      this.states.set(id, state);
    }
    const resetAfter = state.resetAt - now;
    if (state.remaining <= 0) {
      return {
        headers: this.headers(`b${index}`, bucket.limit, 0, resetAfter),
        retryAfterMs: resetAfter,
      };
    }
    state.remaining--;
    return { headers: this.headers(`b${index}`, bucket.limit, state.remaining, resetAfter) };
  }

  private headers(
    bucket: string,
    limit: number,
    remaining: number,
    resetAfterMs: number,
  ): Record<string, string> {
    return {
      'x-ratelimit-bucket': bucket,
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset-after': (resetAfterMs / 1000).toFixed(3),
      'x-ratelimit-reset': ((Date.now() + resetAfterMs) / 1000).toFixed(3),
    };
  }
}
