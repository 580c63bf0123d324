import { assertTransition, canTransition, DEPLOYMENT_STATUSES, isTerminal } from './deployment';

describe('deployment state machine', () => {
  it('follows the approval path to success', () => {
    const path = ['pending_approval', 'queued', 'dispatched', 'running', 'succeeded'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it('never leaves a terminal state', () => {
    for (const from of DEPLOYMENT_STATUSES.filter(isTerminal)) {
      for (const to of DEPLOYMENT_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('refuses to skip approval and names both states', () => {
    expect(() => assertTransition('pending_approval', 'running')).toThrow(
      'a deployment cannot go from pending_approval to running',
    );
  });

  it('lists exactly the end states as terminal', () => {
    expect(DEPLOYMENT_STATUSES.filter(isTerminal).sort()).toEqual(
      ['cancelled', 'expired', 'failed', 'rejected', 'succeeded', 'timed_out'].sort(),
    );
  });
});
