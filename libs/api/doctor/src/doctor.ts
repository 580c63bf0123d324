import type { REST } from '@discordjs/rest';
import {
  OverwriteType,
  PermissionFlagsBits,
  Routes,
  type APIChannel,
  type APIGuildMember,
  type APIRole,
  type APIUser,
} from 'discord-api-types/v10';
import { AlertmanagerError, HttpAlertmanagerRepository } from '@chatops/alertmanager';
import type { FleetRepository } from '@chatops/aws-fleet';
import { BOT_CHANNEL_PERMISSIONS, channelPermissionsOf } from '@chatops/discord-rest';
import { planRequest } from '@chatops/deployments';
import { fleetDocumentOf, isSnowflake, type Catalog } from '@chatops/domain';
import type { GithubSetupReader, WebhookSetup } from '@chatops/github';

/** One thing the doctor looked at: fine, or a problem with the fix. */
export interface Finding {
  area: 'configuration' | 'discord' | 'github' | 'aws' | 'alertmanager';
  /** What was checked, as a user names it. */
  subject: string;
  ok: boolean;
  /** What is wrong (problems), or what was found (passes). */
  detail: string;
  fix?: string;
}

/** A channel the bot posts to, and why it is configured (for the message). */
export interface ConfiguredChannel {
  id: string;
  /** `ALERTS_CHANNEL_ID`, `alerts.routes[0].channel`… */
  source: string;
  /** Roles the bot mentions in it (the on-call role in alert channels). */
  mentions: string[];
}

export interface DoctorTargets {
  catalog: Catalog;
  discord?: { rest: REST; guildId: string; channels: ConfiguredChannel[] };
  github?: { setup: GithubSetupReader; auth: 'token' | 'app' };
  aws?: {
    fleet: Pick<FleetRepository, 'listInstances' | 'documentExists' | 'parameterExists'>;
  };
  alertmanager?: { url: string };
  /** The path GitHub must deliver run events to (the API's webhook route). */
  webhookPath?: string;
}

const WEBHOOK_PATH = '/v1/github/webhook';
const WEBHOOK_EVENTS = ['workflow_run', 'workflow_job'];
const INVITE_FIX =
  'run `npm run commands:register` and open the invite URL it prints, as a server admin (docs/going-live.md, step 1)';

/** Every check, in order; each area stops at the first problem the rest depend on. */
export async function runDoctor(targets: DoctorTargets): Promise<Finding[]> {
  const findings: Finding[] = [];
  const [discord, github, aws, alertmanager] = await Promise.all([
    targets.discord ? checkDiscord(targets.catalog, targets.discord) : [],
    targets.github ? checkGithub(targets.catalog, targets.github, targets.webhookPath) : [],
    targets.aws ? checkAws(targets.catalog, targets.aws.fleet) : [],
    targets.alertmanager ? checkAlertmanager(targets.alertmanager.url) : [],
  ]);
  findings.push(...discord, ...github, ...aws, ...alertmanager);
  return findings;
}

const ok = (area: Finding['area'], subject: string, detail: string): Finding => ({
  area,
  subject,
  ok: true,
  detail,
});
const problem = (area: Finding['area'], subject: string, detail: string, fix: string): Finding => ({
  area,
  subject,
  ok: false,
  detail,
  fix,
});

function statusOf(error: unknown): number | null {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : null;
}

function reason(error: unknown): string {
  const status = statusOf(error);
  const message = (error as Error).message ?? String(error);
  return status ? `${status}: ${message}` : message;
}

// ---- Discord ---------------------------------------------------------------------------------

export async function checkDiscord(
  catalog: Catalog,
  { rest, guildId, channels }: NonNullable<DoctorTargets['discord']>,
): Promise<Finding[]> {
  const area = 'discord';
  const findings: Finding[] = [];
  let bot: APIUser;
  try {
    bot = (await rest.get(Routes.user('@me'))) as APIUser;
    findings.push(ok(area, 'DISCORD_TOKEN', `valid: the bot is ${bot.username} (${bot.id})`));
  } catch (error) {
    return [
      problem(
        area,
        'DISCORD_TOKEN',
        statusOf(error) === 401
          ? 'Discord rejected the token (401)'
          : `Discord could not be asked who the token is (${reason(error)})`,
        'Developer Portal → your application → Bot → Reset Token, and set DISCORD_TOKEN to it (the bot token, not the client secret)',
      ),
    ];
  }

  let roles: APIRole[];
  let member: APIGuildMember;
  try {
    [roles, member] = (await Promise.all([
      rest.get(Routes.guildRoles(guildId)),
      rest.get(Routes.guildMember(guildId, bot.id)),
    ])) as [APIRole[], APIGuildMember];
    findings.push(ok(area, `server ${guildId}`, 'the bot is a member'));
  } catch (error) {
    const status = statusOf(error);
    return [
      ...findings,
      problem(
        area,
        `server ${guildId} (DISCORD_GUILD_ID)`,
        status === 404 || status === 403
          ? `the bot is not in this server, or the id is not a server's (${reason(error)})`
          : `the server could not be read (${reason(error)})`,
        `${INVITE_FIX}; DISCORD_GUILD_ID is the server's id (Developer Mode, right-click the server, Copy Server ID)`,
      ),
    ];
  }

  // Catalog roles are matched by name (exactly) or id, as the bot matches a member's roles.
  const names = new Set(roles.map((r) => r.name));
  const ids = new Set(roles.map((r) => r.id));
  for (const role of Object.keys(catalog.roles)) {
    const byId = isSnowflake(role);
    if (byId ? ids.has(role) : names.has(role))
      findings.push(ok(area, `catalog role \`${role}\``, 'present in the server'));
    else
      findings.push(
        problem(
          area,
          `catalog role \`${role}\``,
          byId ? 'no role of the server has this id' : 'no role of the server has this name',
          byId
            ? 'use the id of an existing role (Developer Mode, right-click the role, Copy Role ID)'
            : `create a role named exactly \`${role}\` (Server Settings → Roles), or rename it in the catalog's roles to the server's name for it`,
        ),
      );
  }

  // Roles the bot pings: approvers on approval requests (any channel), on-call in alert channels.
  const guildPermissions = channelPermissionsOf({
    guildId,
    roles,
    memberId: bot.id,
    memberRoleIds: member.roles,
    overwrites: [],
  });
  for (const environment of catalog.environments) {
    if (!environment.approverRole) continue;
    findings.push(
      mentionFinding(
        roles,
        environment.approverRole,
        guildPermissions,
        `approverRole of ${environment.name}`,
        'approval requests',
      ),
    );
  }

  for (const channel of channels) {
    const subject = `channel ${channel.id} (${channel.source})`;
    let found: APIChannel;
    try {
      found = (await rest.get(Routes.channel(channel.id))) as APIChannel;
    } catch (error) {
      const status = statusOf(error);
      findings.push(
        problem(
          area,
          subject,
          status === 404
            ? 'no such channel'
            : status === 403
              ? 'the bot cannot see it'
              : `it could not be read (${reason(error)})`,
          status === 404
            ? 'copy the channel id again (Developer Mode, right-click the channel, Copy Channel ID)'
            : 'give the bot View Channel there (channel settings → Permissions → add the bot or its role)',
        ),
      );
      continue;
    }
    if (!('guild_id' in found) || found.guild_id !== guildId) {
      findings.push(
        problem(
          area,
          subject,
          'it is not a channel of the server DISCORD_GUILD_ID names',
          'use a channel of that server, or fix DISCORD_GUILD_ID',
        ),
      );
      continue;
    }
    const permissions = channelPermissionsOf({
      guildId,
      roles,
      memberId: bot.id,
      memberRoleIds: member.roles,
      overwrites: ('permission_overwrites' in found ? (found.permission_overwrites ?? []) : []).map(
        (o) => ({ id: o.id, type: o.type as OverwriteType, allow: o.allow, deny: o.deny }),
      ),
    });
    const missing = BOT_CHANNEL_PERMISSIONS.filter((p) => !(permissions & p.bit)).map(
      (p) => p.name,
    );
    findings.push(
      missing.length
        ? problem(
            area,
            subject,
            `the bot lacks ${missing.join(', ')}`,
            `channel settings → Permissions → the bot (or its role): allow ${missing.join(', ')}`,
          )
        : ok(area, subject, 'the bot may post, embed, thread and read back there'),
    );
    for (const role of channel.mentions)
      findings.push(mentionFinding(roles, role, permissions, `${channel.source}: role ${role}`));
  }
  return findings;
}

/** A role the bot pings: it exists, and is mentionable or the bot may mention any role there. */
function mentionFinding(
  roles: readonly APIRole[],
  roleId: string,
  permissions: bigint,
  subject: string,
  where = 'this channel',
): Finding {
  const role = roles.find((r) => r.id === roleId);
  if (!role)
    return problem(
      'discord',
      subject,
      `no role of the server has the id ${roleId}`,
      'copy the role id again (Developer Mode, right-click the role, Copy Role ID)',
    );
  if (role.mentionable || permissions & PermissionFlagsBits.MentionEveryone)
    return ok('discord', subject, `@${role.name} can be pinged`);
  return problem(
    'discord',
    subject,
    `@${role.name} is not mentionable and the bot may not mention every role in ${where}: its pings would notify nobody`,
    `Server Settings → Roles → @${role.name} → "Allow anyone to @mention this role" (or give the bot "Mention @everyone, @here, and All Roles")`,
  );
}

// ---- GitHub ----------------------------------------------------------------------------------

/** Each workflow the API dispatches, with the inputs it sends it (the dispatch contract). */
export function dispatchContract(catalog: Catalog): Map<string, Set<string>> {
  const environment = catalog.environments[0]?.name ?? '';
  const requests = [
    ...catalog.services.map((s) => ({ kind: 'deploy' as const, service: s.name, environment })),
    { kind: 'infra-plan' as const, environment },
    { kind: 'ami-build' as const },
  ];
  const contract = new Map<string, Set<string>>();
  for (const request of requests) {
    const { plan } = planRequest(catalog, {
      ...request,
      ref: 'main',
      requestId: 'doctor',
      actor: { id: '0', name: 'doctor' },
      roles: { ids: [] },
    });
    if (!plan) continue;
    const inputs = contract.get(plan.workflow) ?? new Set<string>();
    for (const input of Object.keys(plan.inputs)) inputs.add(input);
    contract.set(plan.workflow, inputs);
  }
  return contract;
}

export async function checkGithub(
  catalog: Catalog,
  { setup, auth }: NonNullable<DoctorTargets['github']>,
  webhookPath = WEBHOOK_PATH,
): Promise<Finding[]> {
  const area = 'github';
  const repository = `${catalog.github.owner}/${catalog.github.repo}`;
  const findings: Finding[] = [];
  try {
    findings.push(ok(area, repository, `visible as ${await setup.repositoryName()}`));
  } catch (error) {
    const status = statusOf(error);
    return [
      problem(
        area,
        repository,
        status === 401
          ? 'GitHub rejected the credentials (401)'
          : status === 404 || status === 403
            ? 'the credentials cannot see this repository'
            : `the repository could not be read (${reason(error)})`,
        status === 401
          ? auth === 'app'
            ? 'check GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID (the App settings page and its installation URL)'
            : 'make a new token (fine-grained: this repository, Actions read and write, Contents read) and set GITHUB_TOKEN'
          : auth === 'app'
            ? `install the App on ${repository} (App settings → Install App), or fix github: in the catalog`
            : `give the token access to ${repository}, or fix github: in the catalog`,
      ),
    ];
  }

  for (const [file, sends] of dispatchContract(catalog)) {
    const subject = `workflow ${file}`;
    let workflow;
    try {
      workflow = await setup.workflowSetup(file);
    } catch (error) {
      findings.push(
        problem(
          area,
          subject,
          `it could not be read (${reason(error)})`,
          'the token needs Actions read and Contents read',
        ),
      );
      continue;
    }
    if (!workflow) {
      findings.push(
        problem(
          area,
          subject,
          'the repository has no such workflow on its default branch',
          `add .github/workflows/${file} (this repository's is a starting point), or name the right file in the catalog`,
        ),
      );
      continue;
    }
    if (workflow.state !== 'active') {
      findings.push(
        problem(
          area,
          subject,
          `it is ${workflow.state}`,
          'enable it (Actions → the workflow → ··· → Enable workflow)',
        ),
      );
      continue;
    }
    const declared = workflow.dispatchInputs;
    const expected = [...sends].sort();
    if (declared === null) {
      findings.push(
        problem(
          area,
          subject,
          'it has no workflow_dispatch trigger: the API cannot start it',
          `add on.workflow_dispatch with the inputs ${expected.join(', ')}`,
        ),
      );
      continue;
    }
    const unknown = expected.filter((i) => !declared.includes(i));
    const unsent = declared.filter((i) => !sends.has(i));
    findings.push(
      unknown.length || unsent.length
        ? problem(
            area,
            subject,
            [
              unknown.length ? `GitHub would refuse the inputs ${unknown.join(', ')} it lacks` : '',
              unsent.length ? `it declares ${unsent.join(', ')}, which the API never sends` : '',
            ]
              .filter(Boolean)
              .join('; '),
            `make on.workflow_dispatch.inputs exactly ${expected.join(', ')} (the dispatch contract)`,
          )
        : ok(area, subject, `active, takes ${expected.join(', ')}`),
    );
  }

  let hooks: WebhookSetup[];
  try {
    hooks = await setup.webhooks();
  } catch (error) {
    findings.push(
      problem(
        area,
        'webhook',
        `its settings could not be read (${reason(error)})`,
        auth === 'app'
          ? "the doctor reads the App's webhook with the App's key: check GITHUB_APP_PRIVATE_KEY"
          : 'let the token read webhooks (fine-grained: Webhooks read; classic: admin:repo_hook read), or check Settings → Webhooks by hand',
      ),
    );
    return findings;
  }
  const ours = hooks.filter((h) => pathOf(h.url).endsWith(webhookPath));
  const where = auth === 'app' ? 'the App settings → Webhook' : 'Settings → Webhooks';
  if (!ours.length) {
    findings.push(
      problem(
        area,
        'webhook',
        `nothing delivers to ${webhookPath}${hooks.length ? ` (hooks go to ${hooks.map((h) => h.url || '(none)').join(', ')})` : ''}`,
        `${where}: Payload URL https://<the API, reachable from GitHub>${webhookPath}, content type application/json, secret = GITHUB_WEBHOOK_SECRET, events Workflow runs and Workflow jobs`,
      ),
    );
    return findings;
  }
  const hook = ours[0] as WebhookSetup;
  const lacking = WEBHOOK_EVENTS.filter(
    (e) => !hook.events.includes(e) && !hook.events.includes('*'),
  );
  const wrong = [
    hook.active ? '' : 'it is inactive',
    lacking.length ? `it does not send ${lacking.join(', ')}` : '',
    hook.hasSecret ? '' : 'it has no secret (the API refuses unsigned deliveries)',
    hook.contentType && hook.contentType !== 'json' ? `it sends ${hook.contentType}, not json` : '',
  ].filter(Boolean);
  findings.push(
    wrong.length
      ? problem(
          area,
          `webhook ${hook.url}`,
          wrong.join('; '),
          `${where}: active, application/json, secret = GITHUB_WEBHOOK_SECRET, events Workflow runs and Workflow jobs`,
        )
      : ok(area, `webhook ${hook.url}`, `active, signed, sends ${WEBHOOK_EVENTS.join(' and ')}`),
  );
  return findings;
}

/** A URL's path without a trailing slash ('' for what is not a URL). */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

// ---- AWS -------------------------------------------------------------------------------------

export async function checkAws(
  catalog: Catalog,
  fleet: NonNullable<DoctorTargets['aws']>['fleet'],
): Promise<Finding[]> {
  const area = 'aws';
  const findings: Finding[] = [];
  for (const environment of catalog.environments) {
    const scope = { project: catalog.project, environment: environment.name };
    const subject = `hosts of ${environment.name}`;
    let hosts;
    try {
      hosts = await fleet.listInstances(scope);
    } catch (error) {
      return [
        ...findings,
        problem(
          area,
          subject,
          `EC2 could not be asked (${(error as Error).message})`,
          'run where the control plane role applies (the API host), or set AWS_REGION and credentials that may call ec2:DescribeInstances (infra/README.md)',
        ),
      ];
    }
    const running = hosts.filter((h) => h.state === 'running');
    const online = running.filter((h) => h.ssmPing === 'Online');
    findings.push(
      !running.length
        ? problem(
            area,
            subject,
            `no running instance is tagged Project=${catalog.project}, Environment=${environment.name}, Role=docker-host`,
            `apply infra/envs/${environment.name} (infra/README.md), or check the tags`,
          )
        : !online.length
          ? problem(
              area,
              subject,
              `none of ${running.map((h) => `${h.id} (${h.ssmPing})`).join(', ')} is online in SSM`,
              'check the SSM agent on the hosts and that their role has AmazonSSMManagedInstanceCore (infra/modules/iam), and their route to SSM',
            )
          : ok(area, subject, `${online.length} of ${running.length} running hosts online in SSM`),
    );
    for (const service of catalog.services) {
      const name = `/${catalog.project}/${environment.name}/${service.name}/image`;
      try {
        findings.push(
          (await fleet.parameterExists(scope, service.name))
            ? ok(area, `parameter ${name}`, 'present')
            : problem(
                area,
                `parameter ${name}`,
                'missing: /redeploy and the hosts read the desired version there',
                `apply infra/envs/${environment.name} (modules/ssm creates it)`,
              ),
        );
      } catch (error) {
        findings.push(
          problem(
            area,
            `parameter ${name}`,
            `it could not be read (${(error as Error).message})`,
            'the control plane role needs ssm:GetParameterHistory on it (infra/modules/iam)',
          ),
        );
      }
    }
  }
  const document = fleetDocumentOf(catalog);
  try {
    findings.push(
      (await fleet.documentExists(document))
        ? ok(area, `SSM document ${document}`, 'present')
        : problem(
            area,
            `SSM document ${document}`,
            'missing: /redeploy and /rollback send it',
            'apply infra (modules/ssm creates it), or name it in the catalog under fleet.document',
          ),
    );
  } catch (error) {
    findings.push(
      problem(
        area,
        `SSM document ${document}`,
        `it could not be read (${(error as Error).message})`,
        'the control plane role needs ssm:DescribeDocument on it (infra/modules/iam)',
      ),
    );
  }
  return findings;
}

// ---- Alertmanager ----------------------------------------------------------------------------

export async function checkAlertmanager(url: string): Promise<Finding[]> {
  const subject = `Alertmanager ${url}`;
  try {
    const version = await new HttpAlertmanagerRepository(url).version();
    return [ok('alertmanager', subject, `reachable (version ${version ?? '?'})`)];
  } catch (error) {
    if (!(error instanceof AlertmanagerError)) throw error;
    return [
      problem(
        'alertmanager',
        subject,
        error.message.replace(/^Alertmanager is /, ''),
        'start it (deploy/monitoring), or fix ALERTMANAGER_URL: /alerts, /silences and the Silence buttons use it',
      ),
    ];
  }
}

/** The findings as the terminal shows them: problems first, each with its fix. */
export function formatFindings(findings: readonly Finding[]): string {
  const problems = findings.filter((f) => !f.ok);
  const lines = [
    ...problems.map((f) => `✖ ${f.area}: ${f.subject}: ${f.detail}\n    fix: ${f.fix ?? '?'}`),
    ...findings.filter((f) => f.ok).map((f) => `✔ ${f.area}: ${f.subject}: ${f.detail}`),
    problems.length
      ? `\n${problems.length} problem${problems.length === 1 ? '' : 's'} in ${findings.length} checks.`
      : `\nAll ${findings.length} checks passed.`,
  ];
  return `${lines.join('\n')}\n`;
}
