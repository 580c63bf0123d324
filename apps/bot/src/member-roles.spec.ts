import { memberRolesOf } from './member-roles';

describe('memberRolesOf', () => {
  it('reads ids from a raw API member', () => {
    expect(memberRolesOf({ roles: ['1', '2'] })).toEqual({ ids: ['1', '2'] });
  });

  it('reads ids and names from a cached member', () => {
    const roles = new Map([
      ['10', { name: 'deployer' }],
      ['11', { name: 'sre' }],
    ]);
    const cache = {
      keys: () => roles.keys(),
      map: <T>(fn: (role: { name: string }) => T) => [...roles.values()].map(fn),
    };
    expect(memberRolesOf({ roles: { cache } })).toEqual({
      ids: ['10', '11'],
      names: ['deployer', 'sre'],
    });
  });

  it('gives no roles outside a guild', () => {
    expect(memberRolesOf(null)).toEqual({ ids: [] });
  });
});
