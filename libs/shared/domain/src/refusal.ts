/**
 * Why the platform will not carry out a request. The reason decides how each edge shows it: the
 * API's HTTP layer maps it to a status, the bot to an ephemeral reply; nothing else does.
 */
export const REFUSAL_REASONS = [
  /** The request itself is wrong: a value out of pattern, an unknown name. */
  'invalid',
  /** Well-formed, but the state of things does not allow it (nothing to roll back to). */
  'not-possible',
  /** The member lacks the permission. */
  'denied',
  'not-found',
  /** Something changed or was decided meanwhile. */
  'conflict',
  /** Held by a deploy in flight or a human lock. */
  'locked',
  /** Not until the member confirms: `details.confirmation` says what, and how to answer. */
  'needs-confirmation',
  'expired',
  /** The platform lacks the configuration for it. */
  'not-configured',
  /** A system it needs cannot take it now (throttled, no host reachable): try again later. */
  'unavailable',
  /** A system it needs answered with an error. */
  'github',
  'aws',
  'alertmanager',
  /** A system it needs did not answer in time. */
  'timeout',
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The reasons that say a system failed, not that the request was wrong. */
const FAILURES: ReadonlySet<RefusalReason> = new Set([
  'not-configured',
  'unavailable',
  'github',
  'aws',
  'alertmanager',
  'timeout',
]);

export class Refusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    /** Each problem found, when there are several (the message joins them). */
    readonly problems: string[] = [],
    /** What a client needs to act on it (a confirmation to answer). */
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'Refusal';
  }

  /** How the audit records it: the request was rejected, or a system failed to carry it out. */
  get outcome(): 'rejected' | 'failed' {
    return FAILURES.has(this.reason) ? 'failed' : 'rejected';
  }
}

export function isRefusalReason(value: unknown): value is RefusalReason {
  return (REFUSAL_REASONS as readonly unknown[]).includes(value);
}
