import { Refusal, REFUSAL_REASONS } from '@chatops/domain';
import { REFUSAL_STATUS } from './refusal-status';

describe('REFUSAL_STATUS', () => {
  it.each(REFUSAL_REASONS)(
    '%s: a 4xx when the request is refused, a 5xx when a system failed',
    (reason) => {
      const status = REFUSAL_STATUS[reason];
      const failed = new Refusal(reason, 'why').outcome === 'failed';
      expect(failed ? status >= 500 && status < 600 : status >= 400 && status < 500).toBe(true);
    },
  );

  it('keeps the statuses clients know', () => {
    expect(REFUSAL_STATUS).toMatchObject({
      invalid: 400,
      denied: 403,
      'not-found': 404,
      conflict: 409,
      locked: 409,
      'needs-confirmation': 409,
      'not-possible': 422,
      'not-configured': 503,
      timeout: 504,
    });
  });
});
