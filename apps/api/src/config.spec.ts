import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@chatops/config';
import { catalogSchema } from '@chatops/domain';
import { apiConfigSchema, checkCatalogAgainstConfig, loadApiConfig } from './config';

const TOKEN = 't'.repeat(40);

describe('API configuration', () => {
  it('defaults to port 3000 and embedded SQLite under ./data', () => {
    expect(loadApiConfig({ API_SERVICE_TOKEN: TOKEN })).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'sqlite:./data/chatops.sqlite',
      CATALOG_PATH: 'chatops.config.yaml',
      BODY_LIMIT_BYTES: 1048576,
    });
  });

  it('reads secrets from the files compose mounts (<NAME>_FILE)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-secrets-'));
    try {
      writeFileSync(join(dir, 'api_service_token'), `${TOKEN}\n`);
      writeFileSync(join(dir, 'database_url'), 'postgres://chatops:pw@db:5432/chatops\n');
      const config = loadApiConfig({
        API_SERVICE_TOKEN_FILE: join(dir, 'api_service_token'),
        DATABASE_URL_FILE: join(dir, 'database_url'),
      });
      expect(config.API_SERVICE_TOKEN).toBe(TOKEN);
      expect(config.DATABASE_URL).toBe('postgres://chatops:pw@db:5432/chatops');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets PORT override the port', () => {
    expect(loadApiConfig({ API_SERVICE_TOKEN: TOKEN, PORT: '8080' }).PORT).toBe(8080);
  });

  it('lists every problem at once', () => {
    let error: ConfigError | undefined;
    try {
      loadApiConfig({ PORT: '70000', DATABASE_URL: 'mysql://x', HEALTH_DISK_THRESHOLD: '2' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      'PORT: Too big: expected number to be <=65535',
      'DATABASE_URL: must be sqlite:<path> or postgres://…',
      'API_SERVICE_TOKEN: is required',
      'HEALTH_DISK_THRESHOLD: Too big: expected number to be <=1',
    ]);
  });

  it("refuses a Discord share beyond the token's budget and a watchdog name Prometheus could not have", () => {
    let error: ConfigError | undefined;
    try {
      loadApiConfig({
        API_SERVICE_TOKEN: TOKEN,
        DISCORD_REQUESTS_PER_SECOND: '60',
        ALERT_WATCHDOG_ALERTNAME: 'Watch dog; rm -rf /',
        ALERT_WATCHDOG_TIMEOUT_MS: '10',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      'DISCORD_REQUESTS_PER_SECOND: Too big: expected number to be <=50',
      'ALERT_WATCHDOG_ALERTNAME: must be a Prometheus alert name',
      'ALERT_WATCHDOG_TIMEOUT_MS: Too small: expected number to be >=1000',
    ]);
    expect(loadApiConfig({ API_SERVICE_TOKEN: TOKEN })).toMatchObject({
      DISCORD_REQUESTS_PER_SECOND: 15,
      ALERT_WATCHDOG_ALERTNAME: 'Watchdog',
      ALERT_WATCHDOG_TIMEOUT_MS: 300_000,
    });
  });
});

describe('the catalog against the configuration', () => {
  const catalogWith = (mode: 'none' | 'reviewer-token' | 'protection-rule') =>
    catalogSchema.parse({
      project: 'chatops',
      github: { owner: 'acme', repo: 'chatops' },
      services: [
        {
          name: 'api',
          workflow: 'deploy.yml',
          image: 'x/api',
          healthUrl: 'https://{environment}.example.com/health',
        },
      ],
      environments: [
        { name: 'staging', githubApproval: mode },
        { name: 'prod', githubApproval: mode },
      ],
      roles: { sre: { '*': ['*'] } },
    });

  it('lists each environment whose GitHub approval lacks its credential', () => {
    const config = loadApiConfig({ API_SERVICE_TOKEN: TOKEN, GITHUB_TOKEN: 'g'.repeat(40) });
    const problems = (mode: 'reviewer-token' | 'protection-rule') => {
      try {
        checkCatalogAgainstConfig(config, catalogWith(mode));
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems('reviewer-token')).toEqual([
      'environment staging: githubApproval reviewer-token needs GITHUB_REVIEWER_TOKEN (a token of one of its required reviewers)',
      'environment prod: githubApproval reviewer-token needs GITHUB_REVIEWER_TOKEN (a token of one of its required reviewers)',
    ]);
    expect(problems('protection-rule')).toHaveLength(2);
    expect(problems('protection-rule')[0]).toContain('only an App answers its rule');
    const withReviewer = loadApiConfig({
      API_SERVICE_TOKEN: TOKEN,
      GITHUB_TOKEN: 'g'.repeat(40),
      GITHUB_REVIEWER_TOKEN: 'r'.repeat(40),
    });
    expect(() =>
      checkCatalogAgainstConfig(withReviewer, catalogWith('reviewer-token')),
    ).not.toThrow();
    expect(() => checkCatalogAgainstConfig(config, catalogWith('none'))).not.toThrow();
  });
});

describe('the bake window against the configuration', () => {
  it('needs PROMETHEUS_URL where an environment bakes', () => {
    const catalog = catalogSchema.parse({
      project: 'p',
      github: { owner: 'o', repo: 'r' },
      services: [
        {
          name: 'api',
          workflow: 'deploy.yml',
          image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api',
          healthUrl: 'https://{environment}.example.com/health',
        },
      ],
      environments: [{ name: 'staging' }, { name: 'prod', bake: { minutes: 10 } }],
      roles: {},
    });
    const without = loadApiConfig({ API_SERVICE_TOKEN: TOKEN });
    expect(() => checkCatalogAgainstConfig(without, catalog)).toThrow(ConfigError);
    try {
      checkCatalogAgainstConfig(without, catalog);
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'environment prod: bake needs PROMETHEUS_URL (the Prometheus its window watches)',
      ]);
    }
    const withPrometheus = loadApiConfig({
      API_SERVICE_TOKEN: TOKEN,
      PROMETHEUS_URL: 'http://prometheus:9090',
    });
    expect(() => checkCatalogAgainstConfig(withPrometheus, catalog)).not.toThrow();
  });
});

describe('.env.example', () => {
  it('documents every variable the API reads', () => {
    const example = readFileSync(join(__dirname, '../../../.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect(Object.keys(apiConfigSchema.shape).filter((key) => !documented.has(key))).toEqual([]);
  });
});
