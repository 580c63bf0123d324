import { DefaultRestOptions, REST, type RESTOptions, type ResponseLike } from '@discordjs/rest';

/**
 * Discord's global limit is 50 requests per second per bot token, whatever process sends them;
 * interaction callbacks are not counted. The bot and every API replica share one token, so each
 * takes a share: by default the bot 20 and each of up to two API replicas 15.
 */
export const DISCORD_GLOBAL_REQUESTS_PER_SECOND = 50;

export interface DiscordRestPolicy {
  /** Discord's REST base (https://discord.com/api) or a simulator's. */
  apiUrl: string;
  /** This process's share of the token's global budget, in requests per second. */
  requestsPerSecond: number;
  /** Retries of a 5xx or a network failure (not of a timeout: the caller decides). Default 3. */
  retries?: number;
  /** The first retry waits about this long; each next one twice as long, ±20 %. Default 500. */
  firstRetryMs?: number;
  /** No retry waits longer. Default 8,000. */
  maxRetryMs?: number;
  /** A request that has not answered by then is aborted. Default 15,000. */
  timeoutMs?: number;
}

type MakeRequest = RESTOptions['makeRequest'];

/** The delay before retry `attempt` (0-based): doubling from `first`, capped, with ±20 % jitter. */
export function backoffDelay(attempt: number, first: number, max: number): number {
  const delay = Math.min(max, first * 2 ** Math.min(attempt, 20));
  return Math.round(delay * (0.8 + Math.random() * 0.4));
}

function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * Wraps the transport @discordjs/rest sends through: a 5xx answer or a network failure is sent
 * again after a growing, jittered delay (the client's own retries go again at once, so an
 * outage became a burst). A timeout (the client aborts) and every 4xx, 429 included, go back to
 * the client, which waits out `retry_after` itself.
 */
export function retryingTransport(
  policy: Pick<DiscordRestPolicy, 'retries' | 'firstRetryMs' | 'maxRetryMs'>,
  send: MakeRequest = DefaultRestOptions.makeRequest as MakeRequest,
): MakeRequest {
  const retries = policy.retries ?? 3;
  const first = policy.firstRetryMs ?? 500;
  const max = policy.maxRetryMs ?? 8_000;
  return async (url, init) => {
    for (let attempt = 0; ; attempt++) {
      let response: ResponseLike;
      try {
        response = await send(url, init);
      } catch (error) {
        if (init.signal?.aborted || attempt >= retries) throw error;
        await sleep(backoffDelay(attempt, first, max), init.signal);
        continue;
      }
      if (response.status < 500 || attempt >= retries) return response;
      // Read what is left of the refused answer, so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
      await sleep(backoffDelay(attempt, first, max), init.signal);
    }
  };
}

/**
 * The options of this codebase's one Discord REST client per process (the API's channel
 * repository, the bot's discord.js client): its share of the global budget, and 5xx and network
 * retries on backoff instead of the client's immediate ones.
 */
export function discordRestOptions(policy: DiscordRestPolicy): Partial<RESTOptions> {
  if (
    !(
      policy.requestsPerSecond >= 1 &&
      policy.requestsPerSecond <= DISCORD_GLOBAL_REQUESTS_PER_SECOND
    )
  )
    throw new RangeError(
      `requestsPerSecond must be 1 to ${DISCORD_GLOBAL_REQUESTS_PER_SECOND} (Discord's global limit per bot)`,
    );
  return {
    api: policy.apiUrl,
    version: '10',
    timeout: policy.timeoutMs ?? 15_000,
    globalRequestsPerSecond: policy.requestsPerSecond,
    // Retries happen in the transport, with backoff.
    retries: 0,
    makeRequest: retryingTransport(policy),
  };
}

/** A REST client under `discordRestOptions`, holding `token`. */
export function createDiscordRest(policy: DiscordRestPolicy, token: string): REST {
  return new REST(discordRestOptions(policy)).setToken(token);
}
