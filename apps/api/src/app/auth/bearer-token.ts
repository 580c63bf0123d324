import { createHash, timingSafeEqual } from 'node:crypto';

/** The token an `Authorization: Bearer <token>` header presents; undefined for anything else. */
export function bearerTokenOf(header: unknown): string | undefined {
  return typeof header === 'string' ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
}

/**
 * Whether the presented secret is the expected one. Digests first: equal lengths for
 * timingSafeEqual and no early exit on a length mismatch, so timing reveals nothing of it.
 */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
