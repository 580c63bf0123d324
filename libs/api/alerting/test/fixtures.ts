import { catalogSchema } from '@chatops/domain';

/** One service on staging: alert groups naming it offer Redeploy. */
export const alertingCatalog = catalogSchema.parse({
  project: 'chatops',
  github: { owner: 'acme', repo: 'chatops' },
  services: [
    { name: 'api', workflow: 'deploy.yml', image: 'x/api', healthUrl: 'https://h/health' },
  ],
  environments: [{ name: 'staging' }],
  roles: { sre: { '*': ['*'] }, viewer: { '*': ['view'] } },
});
