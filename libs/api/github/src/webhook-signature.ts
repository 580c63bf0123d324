import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';

/**
 * Checks GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the exact request bytes with the
 * webhook secret) in constant time. Anything malformed is simply not valid.
 */
export function verifyWebhookSignature(
  secret: string,
  body: Buffer,
  header: string | undefined,
): boolean {
  if (!header?.startsWith(PREFIX)) return false;
  const presented = Buffer.from(header.slice(PREFIX.length), 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

export function signWebhookBody(secret: string, body: Buffer | string): string {
  return `${PREFIX}${createHmac('sha256', secret).update(body).digest('hex')}`;
}
