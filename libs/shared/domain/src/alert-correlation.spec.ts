import { catalogSchema } from './catalog';
import { catalogTarget, correlationWindowMs, failsADeployment } from './alert-correlation';

const catalog = catalogSchema.parse({
  project: 'p',
  github: { owner: 'o', repo: 'r' },
  services: [
    { name: 'api', workflow: 'deploy.yml', image: 'r.example/api', healthUrl: 'https://h/x' },
  ],
  environments: [
    { name: 'staging' },
    { name: 'prod', alertCorrelationMinutes: 10 },
    { name: 'qa', alertCorrelationMinutes: 0 },
  ],
  roles: {},
});

describe('alert correlation', () => {
  it('ties a group to the catalog only when its common labels name a known service and environment', () => {
    expect(
      catalogTarget(catalog, { commonLabels: { service: 'api', environment: 'prod' } }),
    ).toEqual({ service: 'api', environment: 'prod' });
    expect(catalogTarget(catalog, { commonLabels: { service: 'api' } })).toBeNull();
    expect(
      catalogTarget(catalog, { commonLabels: { service: 'web', environment: 'prod' } }),
    ).toBeNull();
    expect(
      catalogTarget(catalog, { commonLabels: { service: 'api', environment: 'dev' } }),
    ).toBeNull();
  });

  it('reads the window per environment: 30 minutes by default, 0 for never', () => {
    expect(correlationWindowMs(catalog, 'staging')).toBe(30 * 60_000);
    expect(correlationWindowMs(catalog, 'prod')).toBe(10 * 60_000);
    expect(correlationWindowMs(catalog, 'qa')).toBe(0);
    expect(correlationWindowMs(catalog, 'unknown')).toBe(0);
  });

  it('lets every severity but info and none fail a deployment', () => {
    expect(failsADeployment({ commonLabels: { severity: 'critical' } })).toBe(true);
    expect(failsADeployment({ commonLabels: {} })).toBe(true);
    expect(failsADeployment({ commonLabels: { severity: 'info' } })).toBe(false);
    expect(failsADeployment({ commonLabels: { severity: 'none' } })).toBe(false);
  });
});
