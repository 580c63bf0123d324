import { z } from 'zod';
import { RESOURCE_NAME_PATTERN, RESOURCE_NAME_RULE } from './names';
import { ALL_PERMISSIONS, ANY_ENVIRONMENT, PERMISSIONS } from './permissions';
import { freezeSchema } from './freeze';
import { alertRoutingSchema, snowflake } from './alert-routing';
import { bakeSchema } from './bake';

const resourceName = z
  .string()
  .regex(RESOURCE_NAME_PATTERN, { message: `must be ${RESOURCE_NAME_RULE}` });

const githubName = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})$/, {
  message: 'must be a GitHub owner or repository name',
});

const ENVIRONMENT_PLACEHOLDER = '{environment}';

const workflowFile = z.string().regex(/^[A-Za-z0-9._-]+\.ya?ml$/, {
  message: 'must be a workflow file name such as deploy.yml',
});

const serviceSchema = z.strictObject({
  name: resourceName,
  description: z.string().max(200).optional(),
  workflow: workflowFile,
  image: z.string().regex(/^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+$/, {
    message: 'must be an image repository such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api',
  }),
  healthUrl: z
    .string()
    .refine((value) => isHttpUrl(value.replaceAll(ENVIRONMENT_PLACEHOLDER, 'env')), {
      message: `must be an http(s) URL; ${ENVIRONMENT_PLACEHOLDER} is replaced by the environment name`,
    }),
});

const environmentSchema = z.strictObject({
  name: resourceName,
  requiresApproval: z.boolean().default(false),
  approvalTimeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  /** Change freezes: while one is in force, a new version needs an approver (see freeze.ts). */
  freezes: z.array(freezeSchema).max(50).default([]),
  /** The Discord role mentioned on this environment's approval requests (its id). */
  approverRole: snowflake('role').optional(),
  /**
   * Where the GitHub environment of the same name (`infra-<name>` for Terraform applies) also
   * protects deploys, how the Discord approval satisfies it: `reviewer-token` approves its
   * pending deployment as a required reviewer (GITHUB_REVIEWER_TOKEN), `protection-rule` answers
   * the GitHub App's custom deployment protection rule; `none` leaves GitHub to its reviewers.
   */
  githubApproval: z.enum(['none', 'reviewer-token', 'protection-rule']).default('none'),
  /**
   * An alert naming a service here that fires within this many minutes after a deploy, redeploy
   * or rollback of it is shown with that deployment and a Roll back button (0: never).
   */
  alertCorrelationMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(30),
  /** Watched for this long after each deploy and redeploy (see bake.ts); absent: no bake. */
  bake: bakeSchema.optional(),
});

const rateControl = z.string().regex(/^(\d{1,4}|\d{1,2}%|100%)$/, {
  message: 'must be a number of hosts or a percentage such as 50%',
});

const permissionList = z.array(z.enum([...PERMISSIONS, ALL_PERMISSIONS])).min(1);

export const catalogSchema = z
  .strictObject({
    project: resourceName,
    github: z.strictObject({ owner: githubName, repo: githubName }),
    /** The workflows behind /infra and /ami (the deploy workflow is per service). */
    workflows: z
      .strictObject({
        infra: workflowFile.default('infra.yml'),
        ami: workflowFile.default('ami.yml'),
      })
      .default({ infra: 'infra.yml', ami: 'ami.yml' }),
    /** How `/redeploy` and `/rollback` reach the hosts (the SSM document Terraform defines). */
    fleet: z
      .strictObject({
        /** The redeploy Command document; default `<project>-redeploy`. */
        document: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{3,128}$/, { message: 'must be an SSM document name' })
          .optional(),
        /** Hosts redeployed at once (`1`, `50%`): rolling by default. */
        maxConcurrency: rateControl.default('1'),
        /** Failures tolerated before SSM stops sending the command to more hosts. */
        maxErrors: rateControl.default('0'),
      })
      .default({ maxConcurrency: '1', maxErrors: '0' }),
    /** Where alert groups are posted, whom they page, and when a storm becomes a digest. */
    alerts: alertRoutingSchema,
    services: z.array(serviceSchema).min(1),
    environments: z.array(environmentSchema).min(1),
    roles: z.record(z.string().min(1), z.record(z.string(), permissionList)),
  })
  // Cross-reference checks run even when a field is malformed, so one start-up error lists
  // every problem; they therefore read the input defensively.
  .superRefine(
    (catalog, ctx) => {
      const services = Array.isArray(catalog.services) ? catalog.services : [];
      const declared = Array.isArray(catalog.environments) ? catalog.environments : [];
      reportDuplicates(services, 'services', ctx);
      reportDuplicates(declared, 'environments', ctx);
      const environments = new Set(declared.map((e) => e?.name).filter(Boolean));
      const routes = Array.isArray(catalog.alerts?.routes) ? catalog.alerts.routes : [];
      routes.forEach((route, index) =>
        (Array.isArray(route?.environments) ? route.environments : []).forEach((env, i) => {
          if (!environments.has(env))
            ctx.addIssue({
              code: 'custom',
              path: ['alerts', 'routes', index, 'environments', i],
              message: `unknown environment '${env}' (declared: ${[...environments].join(', ')})`,
            });
        }),
      );
      const roles = catalog.roles && typeof catalog.roles === 'object' ? catalog.roles : {};
      for (const [role, byEnvironment] of Object.entries(roles)) {
        for (const env of Object.keys(byEnvironment ?? {})) {
          if (env !== ANY_ENVIRONMENT && !environments.has(env)) {
            ctx.addIssue({
              code: 'custom',
              path: ['roles', role, env],
              message: `unknown environment '${env}' (declared: ${[...environments].join(', ')}, or '*')`,
            });
          }
        }
      }
    },
    { when: () => true },
  );

export type Catalog = z.output<typeof catalogSchema>;
export type CatalogInput = z.input<typeof catalogSchema>;
export type ServiceDefinition = Catalog['services'][number];
export type EnvironmentDefinition = Catalog['environments'][number];

function reportDuplicates(
  items: ReadonlyArray<{ name: string } | undefined>,
  key: string,
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (!item || typeof item.name !== 'string') return;
    if (seen.has(item.name)) {
      ctx.addIssue({
        code: 'custom',
        path: [key, index, 'name'],
        message: `duplicate name '${item.name}'`,
      });
    }
    seen.add(item.name);
  });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function findService(catalog: Catalog, name: string): ServiceDefinition | undefined {
  return catalog.services.find((service) => service.name === name);
}

export function findEnvironment(catalog: Catalog, name: string): EnvironmentDefinition | undefined {
  return catalog.environments.find((environment) => environment.name === name);
}

export function healthUrlFor(service: ServiceDefinition, environment: string): string {
  return service.healthUrl.replaceAll(ENVIRONMENT_PLACEHOLDER, environment);
}

export function fleetDocumentOf(catalog: Catalog): string {
  return catalog.fleet.document ?? `${catalog.project}-redeploy`;
}
