import { join } from 'node:path';
import { AwsSimulator } from '@chatops/aws-sim';
import { loadCatalog } from '@chatops/config';
import { DiscordSimulator } from '@chatops/discord-sim';
import { GithubSimulator } from '@chatops/github-sim';
import { startAlertmanager, type MonitoringServer } from '@chatops/testing';
import { doctor, dotenvArgument } from '../src/doctor';

const ROOT = join(__dirname, '../../..');
const CATALOG_PATH = join(ROOT, 'chatops.config.yaml');
const catalog = loadCatalog(CATALOG_PATH);
const DISCORD_TOKEN = `doctor.${'d'.repeat(60)}`;
const GITHUB_TOKEN = `ghs_${'g'.repeat(36)}`;
const WEBHOOK_SECRET = 'w'.repeat(40);
const API_SERVICE_TOKEN = 'a'.repeat(40);

let discord: DiscordSimulator;
let github: GithubSimulator;
let aws: AwsSimulator;
let alertmanager: MonitoringServer;

beforeAll(async () => {
  [discord, github, aws, alertmanager] = await Promise.all([
    new DiscordSimulator({ botToken: DISCORD_TOKEN }).start(),
    new GithubSimulator({
      owner: catalog.github.owner,
      repo: catalog.github.repo,
      token: GITHUB_TOKEN,
      webhook: { url: 'https://chatops.example.com/v1/github/webhook', secret: WEBHOOK_SECRET },
    }).start(),
    new AwsSimulator({
      project: catalog.project,
      environments: catalog.environments.map((e) => e.name),
      services: catalog.services.map((s) => s.name),
      initialVersion: 'v1.4.0',
    }).start(),
    startAlertmanager('route:\n  receiver: none\nreceivers:\n  - name: none\n'),
  ]);
  for (const role of Object.keys(catalog.roles)) discord.role(role);
});
afterAll(() => Promise.all([discord.stop(), github.stop(), aws.stop(), alertmanager.stop()]));

/** The variables as a team sets them going live (docs/going-live.md), pointed at stand-ins. */
function configured(): Record<string, string> {
  return {
    API_SERVICE_TOKEN,
    CATALOG_PATH,
    DISCORD_TOKEN,
    DISCORD_API_URL: discord.restUrl,
    DISCORD_GUILD_ID: discord.guildId,
    ALERTS_CHANNEL_ID: discord.channelId,
    GITHUB_API_URL: github.baseUrl,
    GITHUB_TOKEN,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ...aws.clientEnv,
    ALERTMANAGER_URL: alertmanager.url,
  };
}

async function run(env: Record<string, string>) {
  let output = '';
  const code = await doctor(env, (text) => (output += text));
  return { code, output };
}

describe('npm run doctor', () => {
  it('passes a complete configuration, exit 0, and prints no secret', async () => {
    const { code, output } = await run(configured());
    expect(output).not.toContain('✖');
    expect(output).toMatch(/^✔ configuration: variables and catalog: valid/m);
    expect(output).toMatch(/\nAll \d+ checks passed\.\n$/);
    expect(code).toBe(0);
    for (const secret of [DISCORD_TOKEN, GITHUB_TOKEN, WEBHOOK_SECRET, API_SERVICE_TOKEN])
      expect(output).not.toContain(secret);
  });

  it('lists what the configuration lacks, each with its fix, and exits 1', async () => {
    const { DISCORD_GUILD_ID: _guild, AWS_REGION: _region, ...partial } = configured();
    const { code, output } = await run(partial);
    expect(output).toContain(
      '✖ configuration: DISCORD_GUILD_ID: unset: the doctor checks one server\n    fix: Developer Mode on',
    );
    expect(output).toContain(
      '✖ configuration: AWS_REGION: unset: /redeploy, /rollback and /status answer 503',
    );
    // What is configured is still checked.
    expect(output).toContain('✔ github: acme/chatops: visible as acme/chatops');
    expect(code).toBe(1);
  });

  it('names every invalid variable before anything is asked of anyone', async () => {
    const { code, output } = await run({
      ...configured(),
      API_SERVICE_TOKEN: 'short',
      ALERTS_CHANNEL_ID: '#ops',
    });
    expect(output).toContain('✖ configuration: API_SERVICE_TOKEN: ');
    expect(output).toContain(
      '✖ configuration: ALERTS_CHANNEL_ID: must be a Discord channel id (17–20 digits)',
    );
    expect(output).not.toContain('discord:');
    expect(code).toBe(1);
  });
});

describe('npm run doctor -- --dotenv', () => {
  it('takes the path after the flag or after =, and refuses the flag without one', () => {
    expect(dotenvArgument([])).toBeNull();
    expect(dotenvArgument(['--dotenv', 'data/sandbox/api.env'])).toBe('data/sandbox/api.env');
    expect(dotenvArgument(['--dotenv=a=b.env'])).toBe('a=b.env');
    expect(() => dotenvArgument(['--dotenv'])).toThrow('--dotenv needs the path of a file');
    expect(() => dotenvArgument(['--dotenv', '--verbose'])).toThrow('--dotenv needs');
    expect(() => dotenvArgument(['--dotenv='])).toThrow('--dotenv needs');
  });
});
