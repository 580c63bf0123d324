import { DiscordDescription } from './discord-description';
import { conformance, conformanceEnabled } from './ledger';

/**
 * What the Discord stand-in received and answered, held to Discord's description (when
 * conformance is on). Server errors are the stand-in's fault injection, which the description
 * does not describe; bodies that are not JSON are not checked.
 */
export function recordDiscordExchange(exchange: {
  method: string;
  /** The path after `/api/v10`. */
  path: string;
  request: unknown;
  status: number;
  response: unknown;
}): void {
  if (!conformanceEnabled()) return;
  const description = DiscordDescription.load();
  const request = description.checkRequest(exchange.method, exchange.path, exchange.request);
  if (!request) return;
  conformance.record({ api: 'discord', direction: 'request', ...request });
  if (exchange.status >= 500) return;
  const response = description.checkResponse(
    exchange.method,
    exchange.path,
    exchange.status,
    exchange.response,
  );
  if (response)
    conformance.record({
      api: 'discord',
      direction: 'response',
      status: exchange.status,
      ...response,
    });
}

/**
 * Loads Discord's description now (about half a second, once per process) if conformance is
 * on, so the first request a stand-in answers is not slowed by it (tests time retries).
 */
export function prepareDiscordConformance(): void {
  if (conformanceEnabled()) DiscordDescription.load();
}
