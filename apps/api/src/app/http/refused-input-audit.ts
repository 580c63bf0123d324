import type { FastifyRequest } from 'fastify';
import {
  ACTOR_ID_HEADER,
  ACTOR_NAME_HEADER,
  DEPLOYMENT_KINDS,
  RESOURCE_NAME_PATTERN,
} from '@chatops/domain';
import type { AuditEventInput } from '@chatops/domain';
import type { InvalidInputException } from './zod-body.pipe';

/** Who sent a request that named nobody usable: the authenticated client itself. */
export const SERVICE_CLIENT_ACTOR = { id: 'system:service-client', name: 'service-token client' };

const MAX_FIELDS = 20;

/**
 * The audit record of a request refused by its schema (it never reached a service, so nothing
 * else records it): who sent it if the body names an actor, the action it asked for, the
 * problems, and the fields as sent (the audit cuts and escapes them, so a hostile value is
 * kept visible and bounded).
 */
export function refusedInputRecord(
  request: FastifyRequest,
  refusal: InvalidInputException,
): AuditEventInput {
  const input = (refusal.what === 'query' ? request.query : request.body) as unknown;
  const fields = isRecord(input) ? input : {};
  const route = request.routeOptions?.url ?? request.url.split('?')[0] ?? request.url;
  return {
    actor: actorOf(fields['actor']) ?? actorFromHeaders(request) ?? SERVICE_CLIENT_ACTOR,
    action: actionOf(request.method, route, fields['kind']),
    outcome: 'rejected',
    service: nameOrNull(fields['service']),
    environment: nameOrNull(fields['environment']),
    source: typeof fields['source'] === 'string' ? fields['source'] : null,
    detail: {
      route: `${request.method} ${route}`,
      problems: refusal.problems,
      input: Object.fromEntries(Object.entries(fields).slice(0, MAX_FIELDS)),
    },
  };
}

/** The member a call is made for, as the bot says in its headers (`ApiClient.onBehalfOf`). */
function actorFromHeaders(request: FastifyRequest): { id: string; name: string } | null {
  const id = request.headers[ACTOR_ID_HEADER];
  const name = request.headers[ACTOR_NAME_HEADER];
  if (typeof id !== 'string' || typeof name !== 'string' || !/^\d{1,25}$/.test(id)) return null;
  try {
    return { id, name: decodeURIComponent(name) };
  } catch {
    return { id, name };
  }
}

function actorOf(value: unknown): { id: string; name: string } | null {
  if (!isRecord(value) || typeof value['id'] !== 'string' || typeof value['name'] !== 'string')
    return null;
  return { id: value['id'], name: value['name'] };
}

/** `deploy` when the body asked for one; otherwise the route: `deployments.approve`, `audit.query`. */
function actionOf(method: string, route: string, kind: unknown): string {
  if ((DEPLOYMENT_KINDS as readonly unknown[]).includes(kind)) return kind as string;
  const parts = route.split('/').filter((p) => p && p !== 'v1' && !p.startsWith(':'));
  const base = parts.join('.') || 'request';
  return method === 'GET' ? `${base}.query` : base;
}

function nameOrNull(value: unknown): string | null {
  return typeof value === 'string' && RESOURCE_NAME_PATTERN.test(value) ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
