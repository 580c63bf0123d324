import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCatalog } from '@chatops/config';
import { approvingRoleName, sandboxCatalog } from './catalog-overlay';

const ROOT = join(__dirname, '../../..');
const repositoryCatalog = readFileSync(join(ROOT, 'chatops.config.yaml'), 'utf8');

describe('the catalog the sandbox runs', () => {
  it("adds the approvers' role and one approval to prod of the repository's catalog, and nothing else", () => {
    const asked: string[] = [];
    const text = sandboxCatalog(repositoryCatalog, (environment) => {
      asked.push(environment);
      return { approverRole: '123456789012345678', githubApproval: 'reviewer-token' };
    });
    expect(asked).toEqual(['staging', 'prod']);
    const catalog = parseCatalog(text);
    const original = parseCatalog(repositoryCatalog);
    expect(catalog.environments.find((e) => e.name === 'prod')).toMatchObject({
      approverRole: '123456789012345678',
      githubApproval: 'reviewer-token',
    });
    expect(catalog.environments.find((e) => e.name === 'staging')).toEqual(
      original.environments.find((e) => e.name === 'staging'),
    );
    expect({ ...catalog, environments: [] }).toEqual({ ...original, environments: [] });
  });

  it('gives every environment without one a bake window when the sandbox runs Prometheus', () => {
    const own = repositoryCatalog.replace(
      '    # approverRole: ',
      '    bake: { minutes: 5 }\n    # approverRole: ',
    );
    const catalog = parseCatalog(
      sandboxCatalog(own, (environment) => ({
        bake: { minutes: 1, onFailure: environment === 'staging' ? 'rollback' : 'ping' },
      })),
    );
    expect(catalog.environments.map((e) => [e.name, e.bake])).toEqual([
      ['staging', { minutes: 1, onFailure: 'rollback', checks: [] }],
      ['prod', { minutes: 5, onFailure: 'ping', checks: [] }],
    ]);
  });

  it('leaves what the catalog says itself', () => {
    const own = repositoryCatalog.replace(
      '    # approverRole: ',
      "    githubApproval: none\n    approverRole: '999999999999999999'\n    # ",
    );
    const catalog = parseCatalog(
      sandboxCatalog(own, () => ({
        approverRole: '123456789012345678',
        githubApproval: 'reviewer-token',
      })),
    );
    expect(catalog.environments.find((e) => e.name === 'prod')).toMatchObject({
      approverRole: '999999999999999999',
      githubApproval: 'none',
    });
  });

  it('pings the first role that may approve there, by name', () => {
    const { roles } = parseCatalog(repositoryCatalog);
    expect(approvingRoleName(roles, 'prod')).toBe('approver');
    // On staging only sre holds everything ('*').
    expect(approvingRoleName(roles, 'staging')).toBe('sre');
    expect(approvingRoleName({ '123456789012345678': { '*': ['*'] } }, 'prod')).toBeNull();
    expect(approvingRoleName({ dev: { prod: ['deploy'] } }, 'prod')).toBeNull();
  });
});
