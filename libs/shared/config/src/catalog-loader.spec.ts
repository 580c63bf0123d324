import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from './catalog-loader';
import { ConfigError } from './config-error';

const dir = mkdtempSync(join(tmpdir(), 'catalog-'));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(path: string): ConfigError {
  try {
    loadCatalog(path);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the catalog to be rejected');
}

const VALID = `
project: chatops
github: { owner: acme, repo: chatops }
services:
  - name: api
    workflow: deploy.yml
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/chatops-api
    healthUrl: https://{environment}.example.com/health/ready
environments:
  - name: staging
  - name: prod
    requiresApproval: true
roles:
  Developers: { staging: [deploy], "*": [view] }
`;

describe('loadCatalog', () => {
  it('loads the repository catalog', () => {
    const catalog = loadCatalog(join(__dirname, '../../../../chatops.config.yaml'));
    expect(catalog.services.map((s) => s.name)).toEqual(['api', 'bot']);
    expect(catalog.environments.map((e) => e.name)).toEqual(['staging', 'prod']);
  });

  it('loads a valid file', () => {
    expect(loadCatalog(write('valid.yaml', VALID)).environments[1]?.requiresApproval).toBe(true);
  });

  it('names the path when the file is missing', () => {
    const error = failure(join(dir, 'absent.yaml'));
    expect(error.message).toBe(
      `Invalid catalog ${join(dir, 'absent.yaml')}:\n  - file not found (set CATALOG_PATH)`,
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const error = failure(write('broken.yaml', 'project: chatops\nservices: [\n'));
    expect(error.problems[0]).toMatch(/^YAML .*line 3/);
  });

  it('reports duplicate keys instead of silently keeping the last one', () => {
    const error = failure(write('dup.yaml', `${VALID}\nproject: other\n`));
    expect(error.problems[0]).toMatch(/^YAML Map keys must be unique/);
  });

  it('lists every schema problem with its path and the file', () => {
    const path = write(
      'invalid.yaml',
      VALID.replace('deploy.yml', 'deploy').replace('- name: prod', '- name: Prod'),
    );
    const error = failure(path);
    expect(error.message.split('\n')[0]).toBe(`Invalid catalog ${path}:`);
    expect(error.problems).toEqual([
      'services.0.workflow: must be a workflow file name such as deploy.yml',
      'environments.1.name: must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters',
    ]);
  });
});
