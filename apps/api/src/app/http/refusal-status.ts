import type { RefusalReason } from '@chatops/domain';

/** The one place a refusal's reason becomes an HTTP status. */
export const REFUSAL_STATUS: Readonly<Record<RefusalReason, number>> = {
  invalid: 400,
  'not-possible': 422,
  denied: 403,
  'not-found': 404,
  conflict: 409,
  locked: 409,
  'needs-confirmation': 409,
  expired: 410,
  'not-configured': 503,
  unavailable: 503,
  github: 502,
  aws: 502,
  alertmanager: 502,
  timeout: 504,
};
