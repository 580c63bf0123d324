import { jsonOrUndefined, readBody, recordDiscordExchange } from '@chatops/sim-kit';
import { DiscordHttpError, errors } from './errors';
import { simControl } from './control';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DiscordSimulator } from './simulator';
import {
  listCommands,
  putCommands,
  callback,
  webhookMessage,
  editWebhookMessage,
  followUp,
} from './rest-interactions';
import {
  channel,
  postMessage,
  channelMessage,
  editChannelMessage,
  createThread,
  toApiMessage,
  lacks,
} from './rest-channels';

import { guildMember, guildRoles } from './rest-guild';

export const API_PREFIX = '/api/v10';

/** A REST route of the stand-in. */
export interface Route {
  method: string;
  pattern: RegExp;
  auth: boolean;
  /** `param(i)`: the i-th capture group of the path pattern. */
  handle: (param: (index: number) => string, body: unknown, query: URLSearchParams) => unknown;
  /** What a body is answered with (default 200; 204 without one). */
  status?: number;
}

export function buildRoutes(sim: DiscordSimulator): Route[] {
  const id = '(\\d+)';
  const token = '([A-Za-z0-9_.-]+)';
  const r = (
    method: string,
    path: string,
    auth: boolean,
    handle: Route['handle'],
    status = 200,
  ): Route => ({
    method,
    pattern: new RegExp(`^${path}$`),
    auth,
    handle,
    status,
  });
  return [
    r('GET', '/gateway', false, () => ({ url: sim.gatewayUrl })),
    r('GET', '/gateway/bot', true, () => ({
      url: sim.gatewayUrl,
      shards: 1,
      session_start_limit: {
        total: 1000,
        remaining: 999,
        reset_after: 86_400_000,
        max_concurrency: 1,
      },
    })),
    r('GET', '/users/@me', true, () => ({
      ...sim.botUser,
      mfa_enabled: false,
      locale: 'en-US',
    })),
    r('GET', '/applications/@me', true, () => ({
      id: sim.applicationId,
      name: 'ChatOps',
      bot: sim.botUser,
      flags: 0,
    })),
    r('GET', `/applications/${id}/commands`, true, (m) => listCommands(sim, m(1), 'global')),
    r('PUT', `/applications/${id}/commands`, true, (m, body) =>
      putCommands(sim, m(1), 'global', body),
    ),
    r('GET', `/applications/${id}/guilds/${id}/commands`, true, (m) =>
      listCommands(sim, m(1), m(2)),
    ),
    r('PUT', `/applications/${id}/guilds/${id}/commands`, true, (m, body) =>
      putCommands(sim, m(1), m(2), body),
    ),
    r('POST', `/interactions/${id}/${token}/callback`, false, (m, body, q) =>
      callback(sim, m(1), m(2), body, q),
    ),
    r('GET', `/webhooks/${id}/${token}/messages/(@original|\\d+)`, false, (m) =>
      toApiMessage(sim, webhookMessage(sim, m(1), m(2), m(3))),
    ),
    r('PATCH', `/webhooks/${id}/${token}/messages/(@original|\\d+)`, false, (m, body) =>
      editWebhookMessage(sim, m(1), m(2), m(3), body),
    ),
    r('DELETE', `/webhooks/${id}/${token}/messages/(@original|\\d+)`, false, (m) => {
      sim.messages.delete(webhookMessage(sim, m(1), m(2), m(3)).id);
      return undefined;
    }),
    r('POST', `/webhooks/${id}/${token}`, false, (m, body, q) =>
      followUp(sim, m(1), m(2), body, q),
    ),
    r('GET', `/guilds/${id}/roles`, true, (m) => guildRoles(sim, m(1))),
    r('GET', `/guilds/${id}/members/${id}`, true, (m) => guildMember(sim, m(1), m(2))),
    r('GET', `/channels/${id}`, true, (m) => channel(sim, m(1))),
    r('POST', `/channels/${id}/messages`, true, (m, body) => postMessage(sim, m(1), body)),
    r('GET', `/channels/${id}/messages/${id}`, true, (m) =>
      toApiMessage(sim, channelMessage(sim, m(1), m(2))),
    ),
    r('PATCH', `/channels/${id}/messages/${id}`, true, (m, body) =>
      editChannelMessage(sim, m(1), m(2), body),
    ),
    // Discord answers a new thread with 201.
    r('POST', `/channels/${id}/threads`, true, (m, body) => createThread(sim, m(1), body), 201),
    r(
      'POST',
      `/channels/${id}/messages/${id}/threads`,
      true,
      (m, body) => createThread(sim, m(1), body, channelMessage(sim, m(1), m(2)).id),
      201,
    ),
  ];
}

export async function handle(
  sim: DiscordSimulator,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  // Set once the request is a Discord API call: its answer is then held to the description.
  let exchange: { method: string; path: string; request: unknown } | null = null;
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (exchange) {
      recordDiscordExchange({ ...exchange, status, response: body });
      sim.globalLimits.answered(status, headers['x-ratelimit-scope']);
    }
    // A 204 has no body and, as from Discord, no content type.
    res.writeHead(
      status,
      body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    );
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  try {
    const raw = await readBody(req);
    if (url.pathname.startsWith('/_sim/')) {
      const result = await simControl(sim, req.method ?? 'GET', url, raw);
      if (req.method !== 'GET') sim.changed();
      return send(result.status, result.body);
    }
    if (!url.pathname.startsWith(API_PREFIX)) throw errors.notFound();
    if (sim.faults.down) {
      req.socket.destroy();
      return;
    }
    const path = decodeURIComponent(url.pathname.slice(API_PREFIX.length));
    const key = `${req.method} ${path}`;
    exchange = { method: req.method ?? 'GET', path, request: jsonOrUndefined(raw) };
    sim.requests.push(key);
    sim.requestTimes.push(Date.now());
    const injected = sim.faults.take(key);
    if (injected !== null)
      return send(injected, {
        message: `${injected}: ${injected === 502 ? 'Bad Gateway' : 'Injected fault'}`,
        code: 0,
      });
    const candidates = sim.routes.filter((route) => route.pattern.test(path));
    if (candidates.length === 0) throw errors.notFound();
    const route = candidates.find((c) => c.method === req.method);
    if (!route) throw errors.methodNotAllowed();
    if (route.auth && sim.authRefusals > 0) {
      sim.authRefusals--;
      throw errors.unauthorized();
    }
    if (route.auth && req.headers.authorization !== `Bot ${sim.options.botToken}`)
      throw errors.unauthorized();
    if (route.auth) {
      const waitMs = sim.globalLimits.admit();
      if (waitMs !== null)
        return send(
          429,
          {
            message: 'You are being rate limited.',
            retry_after: waitMs / 1000,
            global: true,
            code: 0,
          },
          {
            'retry-after': String(Math.ceil(waitMs / 1000)),
            'x-ratelimit-global': 'true',
            'x-ratelimit-scope': 'global',
          },
        );
    }
    const channelId = /^\/channels\/(\d+)\/messages/.exec(path)?.[1];
    if (channelId && req.method !== 'GET' && lacks(sim, channelId, 'SendMessages'))
      throw errors.missingPermissions();
    const threadIn = /^\/channels\/(\d+)(?:\/messages\/\d+)?\/threads$/.exec(path)?.[1];
    if (threadIn && req.method === 'POST' && lacks(sim, threadIn, 'CreatePublicThreads'))
      throw errors.missingPermissions();
    const limit = sim.rateLimits.check(key);
    if (limit.retryAfterMs !== undefined) {
      const retryAfter = limit.retryAfterMs / 1000;
      sim.options.log?.(`rest: 429 ${key} (retry after ${retryAfter}s)`);
      return send(
        429,
        {
          message: 'You are being rate limited.',
          retry_after: retryAfter,
          global: false,
          code: 0,
        },
        {
          ...limit.headers,
          'retry-after': String(Math.ceil(retryAfter)),
          'x-ratelimit-scope': 'user',
        },
      );
    }
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      throw errors.badJson();
    }

    const match = route.pattern.exec(path) ?? [];
    const result = route.handle((index) => match[index] ?? '', body, url.searchParams);
    if (req.method !== 'GET') sim.changed();
    send(result === undefined ? 204 : (route.status ?? 200), result, limit.headers);
  } catch (error) {
    if (error instanceof DiscordHttpError) return send(error.status, error.body);
    sim.options.log?.(`rest: 500 ${(error as Error).stack}`);
    send(500, { message: '500: Internal Server Error', code: 0 });
  }
}
