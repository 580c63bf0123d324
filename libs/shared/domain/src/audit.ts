/** Who did what, where, when and how it ended: the shape of every audit record. */
export const AUDIT_OUTCOMES = [
  'succeeded',
  'failed',
  'cancelled',
  'rejected',
  'denied',
  'requested',
] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditActor {
  /** Discord user id, or `system:<component>` for the platform's own actions. */
  id: string;
  name: string;
}

export interface AuditEventInput {
  actor: AuditActor;
  action: string;
  outcome: AuditOutcome;
  service?: string | null;
  environment?: string | null;
  /** Where it came from: a Discord guild/channel, a webhook delivery, a request id. */
  source?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditEvent extends Required<Omit<AuditEventInput, 'detail'>> {
  id: number;
  occurredAt: number;
  detail: Record<string, unknown>;
}

/**
 * Who a bot call is made for, in its headers: a Discord user id, and their name
 * percent-encoded (headers are ASCII). A refusal of a call that names nobody in its body (a
 * query) is audited as theirs.
 */
export const ACTOR_ID_HEADER = 'x-chatops-actor-id';
export const ACTOR_NAME_HEADER = 'x-chatops-actor-name';
