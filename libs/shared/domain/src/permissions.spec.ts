import { hasPermission, permissionsFor, RoleGrants } from './permissions';

const grants: RoleGrants = {
  Developers: { staging: ['deploy', 'redeploy'], '*': ['view'] },
  '123456789012345678': { prod: ['approve'] },
  SRE: { '*': ['*'] },
};

describe('permissions', () => {
  it('grants by role name for the named environment only', () => {
    const dev = { ids: ['1'], names: ['Developers'] };
    expect(hasPermission(grants, dev, 'deploy', 'staging')).toBe(true);
    expect(hasPermission(grants, dev, 'deploy', 'prod')).toBe(false);
    expect(hasPermission(grants, dev, 'view', 'prod')).toBe(true);
  });

  it('grants by role id', () => {
    const approver = { ids: ['123456789012345678'] };
    expect(hasPermission(grants, approver, 'approve', 'prod')).toBe(true);
    expect(hasPermission(grants, approver, 'approve', 'staging')).toBe(false);
  });

  it('expands * to every permission in every environment', () => {
    const sre = permissionsFor(grants, { ids: [], names: ['SRE'] }, 'prod');
    expect([...sre].sort()).toEqual(
      [
        'ami',
        'approve',
        'cancel',
        'deploy',
        'infra',
        'redeploy',
        'rollback',
        'silence',
        'unlock',
        'view',
      ].sort(),
    );
  });

  it('grants nothing to a member without a mapped role', () => {
    expect(permissionsFor(grants, { ids: ['9'], names: ['Guests'] }, 'staging').size).toBe(0);
  });

  it('treats an environment-less check as satisfied by a grant on any environment', () => {
    expect(hasPermission(grants, { ids: [], names: ['Developers'] }, 'deploy', null)).toBe(true);
  });
});
