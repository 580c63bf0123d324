import { DiscordDescription } from './discord-description';
import { conformance, conformanceEnabled, type DescribedApi } from './ledger';
import { OpenApiDescription } from './openapi-description';

/** One request a stand-in answered. */
export interface Exchange {
  method: string;
  /** The path as the description's templates name it (Discord's after `/api/v10`). */
  path: string;
  request: unknown;
  status: number;
  response: unknown;
  /** Whether the answer is JSON (default true): other bodies are not checked. */
  json?: boolean;
}

/** What both descriptions answer about an exchange (null: the path is not described). */
interface Description {
  checkRequest(
    method: string,
    path: string,
    body: unknown,
  ): { operation: string; problems: string[] } | null;
  checkResponse(
    method: string,
    path: string,
    status: number,
    body: unknown,
  ): { operation: string; problems: string[] } | null;
}

const GITHUB = ['@octokit/openapi', 'generated/api.github.com.json'] as const;
const GITHUB_WEBHOOKS = ['@octokit/openapi-webhooks', 'generated/api.github.com.json'] as const;

/**
 * Loads Discord's description now (about half a second, once per process) if conformance is
 * on, so the first request a stand-in answers is not slowed by it (tests time retries).
 */
export function prepareDiscordConformance(): void {
  if (conformanceEnabled()) DiscordDescription.load();
}

/** Loads GitHub's descriptions now if conformance is on (see `prepareDiscordConformance`). */
export function prepareGithubConformance(): void {
  if (!conformanceEnabled()) return;
  OpenApiDescription.fromPackage(...GITHUB);
  OpenApiDescription.fromPackage(...GITHUB_WEBHOOKS);
}

/** What the Discord stand-in received and answered, held to Discord's description. */
export function recordDiscordExchange(exchange: Exchange): void {
  if (conformanceEnabled())
    safely('discord', exchange, () =>
      checkExchange('discord', DiscordDescription.load(), exchange),
    );
}

/** What the GitHub stand-in received and answered, held to `@octokit/openapi`. */
export function recordGithubExchange(exchange: Exchange): void {
  if (conformanceEnabled())
    safely('github', exchange, () =>
      checkExchange('github', OpenApiDescription.fromPackage(...GITHUB), exchange),
    );
}

/** A webhook delivery the GitHub stand-in sends, held to `@octokit/openapi-webhooks`. */
export function recordGithubDelivery(event: string, action: string, payload: unknown): void {
  if (!conformanceEnabled()) return;
  const operation = `${event}.${action}`;
  const key = `${event}-${action}`.replace(/_/g, '-');
  try {
    const description = OpenApiDescription.fromPackage(...GITHUB_WEBHOOKS);
    const problems = description.hasWebhook(key)
      ? description.validate(
          `/webhooks/${key}/post/requestBody/content/application~1json/schema`,
          payload,
        )
      : [`GitHub describes no ${operation} webhook`];
    conformance.record({ api: 'github-webhooks', direction: 'delivery', operation, problems });
  } catch (error) {
    conformance.record({
      api: 'github-webhooks',
      direction: 'delivery',
      operation,
      problems: [`the description could not be applied: ${(error as Error).message}`],
    });
  }
}

/**
 * The request, then the answer, against the description. Server errors are the stand-ins'
 * fault injection, which the descriptions do not describe, and are not checked.
 */
function checkExchange(api: DescribedApi, description: Description, exchange: Exchange): void {
  const { method, path, status } = exchange;
  const request = description.checkRequest(method, path, exchange.request);
  if (!request) return;
  conformance.record({ api, direction: 'request', ...request });
  if (status >= 500 || (exchange.json === false && exchange.response !== undefined)) return;
  const response = description.checkResponse(method, path, status, exchange.response);
  if (response) conformance.record({ api, direction: 'response', status, ...response });
}

/** A check that throws is itself a finding: it must never turn into the stand-in's 500. */
function safely(api: DescribedApi, exchange: Exchange, check: () => void): void {
  try {
    check();
  } catch (error) {
    conformance.record({
      api,
      direction: 'response',
      operation: `${exchange.method} ${exchange.path}`,
      status: exchange.status,
      problems: [`the description could not be applied: ${(error as Error).message}`],
    });
  }
}
