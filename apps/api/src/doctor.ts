import { AwsFleetRepository } from '@chatops/aws-fleet';
import { ConfigError, loadCatalog } from '@chatops/config';
import { createDiscordRest } from '@chatops/discord-rest';
import { formatFindings, runDoctor, type DoctorTargets, type Finding } from '@chatops/doctor';
import { isSnowflake, type Catalog } from '@chatops/domain';
import { OctokitGithubRepository } from '@chatops/github';
import { githubAuthFrom } from './app/clients';
import { checkCatalogAgainstConfig, loadApiConfig, type ApiConfig } from './config';

const problem = (subject: string, detail: string, fix: string): Finding => ({
  area: 'configuration',
  subject,
  ok: false,
  detail,
  fix,
});

/**
 * What `npm run doctor` checks, from the environment (and .env): the API's configuration and
 * the catalog as the apps read them, then what is needed to reach Discord, GitHub, AWS and
 * Alertmanager. Each missing piece is a problem with its fix; what is there becomes a target.
 */
export function doctorTargetsFrom(env: Record<string, string | undefined>): {
  findings: Finding[];
  targets: DoctorTargets | null;
} {
  let config: ApiConfig;
  let catalog: Catalog;
  try {
    config = loadApiConfig(env);
    catalog = loadCatalog(config.CATALOG_PATH);
    checkCatalogAgainstConfig(config, catalog);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      // "NAME: what is wrong", as the apps print them at start-up.
      findings: error.problems.map((p) => {
        const [name = error.source, ...rest] = p.split(': ');
        return problem(
          rest.length ? name : error.source,
          rest.length ? rest.join(': ') : p,
          'see .env.example and docs/going-live.md for each variable',
        );
      }),
      targets: null,
    };
  }
  const findings: Finding[] = [
    {
      area: 'configuration',
      subject: 'variables and catalog',
      ok: true,
      detail: `valid (${config.CATALOG_PATH}: ${catalog.services.length} services, ${catalog.environments.length} environments)`,
    },
  ];
  const targets: DoctorTargets = { catalog };

  const guildId = env['DISCORD_GUILD_ID'];
  if (!config.DISCORD_TOKEN)
    findings.push(
      problem(
        'DISCORD_TOKEN',
        'unset: no deployment or alert message can be posted',
        'Developer Portal → your application → Bot → Reset Token (docs/going-live.md, step 1)',
      ),
    );
  else if (!guildId || !isSnowflake(guildId))
    findings.push(
      problem(
        'DISCORD_GUILD_ID',
        guildId ? 'not a Discord id (17–20 digits)' : 'unset: the doctor checks one server',
        "Developer Mode on, right-click the server's icon, Copy Server ID",
      ),
    );
  else {
    // The on-call role is pinged wherever paging alerts go.
    const mentions = catalog.alerts.onCall ? [catalog.alerts.onCall.role] : [];
    const channels = [
      ...(config.ALERTS_CHANNEL_ID
        ? [{ id: config.ALERTS_CHANNEL_ID, source: 'ALERTS_CHANNEL_ID', mentions }]
        : []),
      ...catalog.alerts.routes.map((route, i) => ({
        id: route.channel,
        source: `alerts.routes[${i}].channel`,
        mentions,
      })),
    ];
    if (!config.ALERTS_CHANNEL_ID)
      findings.push(
        problem(
          'ALERTS_CHANNEL_ID',
          'unset: alerts that no catalog route takes have nowhere to go',
          'Developer Mode on, right-click the alerts channel, Copy Channel ID',
        ),
      );
    targets.discord = {
      rest: createDiscordRest(
        { apiUrl: config.DISCORD_API_URL, requestsPerSecond: 5, retries: 1 },
        config.DISCORD_TOKEN,
      ),
      guildId,
      channels,
    };
  }

  const auth = githubAuthFrom(config);
  if (!auth)
    findings.push(
      problem(
        'GitHub credentials',
        'neither GITHUB_TOKEN nor the GitHub App variables are set: deploys answer 503',
        'create the GitHub App (preferred) or a fine-grained token (docs/going-live.md, step 3)',
      ),
    );
  else
    targets.github = {
      auth: auth.kind,
      setup: new OctokitGithubRepository({
        owner: catalog.github.owner,
        repo: catalog.github.repo,
        auth,
        baseUrl: config.GITHUB_API_URL,
        retries: 1,
      }),
    };
  if (!config.GITHUB_WEBHOOK_SECRET)
    findings.push(
      problem(
        'GITHUB_WEBHOOK_SECRET',
        'unset: the webhook endpoint answers 503, so runs are followed by polling only',
        'generate one (openssl rand -hex 32), set it here and as the webhook secret on GitHub',
      ),
    );

  if (!config.AWS_REGION)
    findings.push(
      problem(
        'AWS_REGION',
        'unset: /redeploy, /rollback and /status answer 503',
        'set the region of the hosts (infra/README.md)',
      ),
    );
  else
    targets.aws = {
      fleet: AwsFleetRepository.create({
        region: config.AWS_REGION,
        endpoint: config.AWS_ENDPOINT_URL,
        // The keys of the environment the doctor was given (else the SDK's chain: instance role).
        ...(env['AWS_ACCESS_KEY_ID'] && config.AWS_SECRET_ACCESS_KEY
          ? {
              credentials: {
                accessKeyId: env['AWS_ACCESS_KEY_ID'],
                secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
                ...(config.AWS_SESSION_TOKEN ? { sessionToken: config.AWS_SESSION_TOKEN } : {}),
              },
            }
          : {}),
      }),
    };

  if (!config.ALERTMANAGER_URL)
    findings.push(
      problem(
        'ALERTMANAGER_URL',
        'unset: /alerts, /silences and the Silence buttons answer 503',
        "set Alertmanager's base URL as the API reaches it (deploy/monitoring)",
      ),
    );
  else targets.alertmanager = { url: config.ALERTMANAGER_URL };
  return { findings, targets };
}

/** The doctor's answer: 0 when every check passed, 1 otherwise. */
export async function doctor(
  env: Record<string, string | undefined>,
  write: (text: string) => void,
): Promise<number> {
  const { findings, targets } = doctorTargetsFrom(env);
  const all = [...findings, ...(targets ? await runDoctor(targets) : [])];
  write(formatFindings(all));
  return all.every((f) => f.ok) ? 0 : 1;
}

/**
 * The env file `--dotenv <path>` (or `--dotenv=<path>`) names; null without the flag.
 * Throws when the flag has no path.
 */
export function dotenvArgument(argv: readonly string[]): string | null {
  const flag = argv.findIndex((a) => a === '--dotenv' || a.startsWith('--dotenv='));
  if (flag < 0) return null;
  const given = argv[flag] as string;
  const path = given.includes('=') ? given.slice(given.indexOf('=') + 1) : argv[flag + 1];
  if (!path || path.startsWith('--')) throw new Error('--dotenv needs the path of a file');
  return path;
}
