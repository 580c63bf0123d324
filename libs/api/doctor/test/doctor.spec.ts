import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsFleetRepository } from '@chatops/aws-fleet';
import { AwsSimulator, type AwsSimulatorOptions } from '@chatops/aws-sim';
import { loadCatalog } from '@chatops/config';
import { DiscordSimulator } from '@chatops/discord-sim';
import { createDiscordRest } from '@chatops/discord-rest';
import type { Catalog } from '@chatops/domain';
import { OctokitGithubRepository } from '@chatops/github';
import {
  DEFAULT_WORKFLOWS,
  GithubSimulator,
  type GithubSimulatorOptions,
} from '@chatops/github-sim';
import { freePort, startAlertmanager, type MonitoringServer } from '@chatops/testing';
import { formatFindings, runDoctor, type DoctorTargets, type Finding } from '../src/doctor';

const ROOT = join(__dirname, '../../../..');
const TOKEN = `doctor.${'t'.repeat(60)}`;
const GITHUB_TOKEN = 'ghs_doctor000000000000000000000000000';
const catalog: Catalog = loadCatalog(join(ROOT, 'chatops.config.yaml'));

let discord: DiscordSimulator;
let github: GithubSimulator;
let aws: AwsSimulator;
let alertmanager: MonitoringServer;

beforeAll(async () => {
  alertmanager = await startAlertmanager('route:\n  receiver: none\nreceivers:\n  - name: none\n');
});
afterAll(() => alertmanager.stop());

beforeEach(async () => {
  discord = await new DiscordSimulator({ botToken: TOKEN }).start();
  // A server set up as docs/going-live.md says: the catalog's roles exist.
  for (const role of Object.keys(catalog.roles)) discord.role(role);
  github = await startGithub();
  aws = await startAws();
});
afterEach(async () => {
  await Promise.all([discord.stop(), github.stop(), aws.stop()]);
});

function startGithub(options: Partial<GithubSimulatorOptions> = {}): Promise<GithubSimulator> {
  return new GithubSimulator({
    owner: catalog.github.owner,
    repo: catalog.github.repo,
    token: GITHUB_TOKEN,
    webhook: { url: 'https://chatops.example.com/v1/github/webhook', secret: 's'.repeat(32) },
    ...options,
  }).start();
}

function startAws(options: Partial<AwsSimulatorOptions> = {}): Promise<AwsSimulator> {
  return new AwsSimulator({
    project: catalog.project,
    environments: catalog.environments.map((e) => e.name),
    services: catalog.services.map((s) => s.name),
    initialVersion: 'v1.4.0',
    ...options,
  }).start();
}

function targets(
  overrides: { discordToken?: string; alertmanagerUrl?: string } = {},
): DoctorTargets {
  const config = aws.sdkConfig();
  return {
    catalog,
    discord: {
      rest: createDiscordRest(
        { apiUrl: discord.restUrl, requestsPerSecond: 50, retries: 0 },
        overrides.discordToken ?? TOKEN,
      ),
      guildId: discord.guildId,
      channels: [{ id: discord.channelId, source: 'ALERTS_CHANNEL_ID', mentions: [] }],
    },
    github: {
      auth: 'token',
      setup: new OctokitGithubRepository({
        owner: catalog.github.owner,
        repo: catalog.github.repo,
        auth: { kind: 'token', token: GITHUB_TOKEN },
        baseUrl: github.baseUrl,
        retries: 0,
      }),
    },
    aws: {
      fleet: new AwsFleetRepository({
        ssm: new SSMClient(config),
        ec2: new EC2Client(config),
        ecr: new ECRClient(config),
      }),
    },
    alertmanager: { url: overrides.alertmanagerUrl ?? alertmanager.url },
  };
}

const problems = (findings: Finding[]) =>
  findings.filter((f) => !f.ok).map((f) => `${f.area}: ${f.subject}: ${f.detail}`);

describe('npm run doctor', () => {
  it('passes a clean configuration, having checked every piece', async () => {
    const findings = await runDoctor(targets());
    expect(problems(findings)).toEqual([]);
    const subjects = findings.map((f) => `${f.area}: ${f.subject}`);
    expect(subjects).toEqual(
      expect.arrayContaining([
        'discord: DISCORD_TOKEN',
        `discord: server ${discord.guildId}`,
        'discord: catalog role `deployer`',
        `discord: channel ${discord.channelId} (ALERTS_CHANNEL_ID)`,
        'github: acme/chatops',
        'github: workflow deploy.yml',
        'github: workflow infra.yml',
        'github: workflow ami.yml',
        'github: webhook https://chatops.example.com/v1/github/webhook',
        'aws: hosts of staging',
        'aws: hosts of prod',
        'aws: parameter /chatops/prod/api/image',
        'aws: SSM document chatops-redeploy',
        `alertmanager: Alertmanager ${alertmanager.url}`,
      ]),
    );
    expect(formatFindings(findings)).toMatch(/\nAll \d+ checks passed\.\n$/);
  });

  it('names a token Discord rejects, and checks nothing of Discord beyond it', async () => {
    const findings = (await runDoctor(targets({ discordToken: `wrong.${'x'.repeat(60)}` }))).filter(
      (f) => f.area === 'discord',
    );
    expect(findings).toEqual([
      expect.objectContaining({
        subject: 'DISCORD_TOKEN',
        ok: false,
        detail: 'Discord rejected the token (401)',
        fix: expect.stringContaining('Reset Token'),
      }),
    ]);
  });

  it('names each channel permission the bot lacks', async () => {
    discord.withholdPermission(discord.channelId, 'EmbedLinks', 'CreatePublicThreads');
    expect(problems(await runDoctor(targets()))).toEqual([
      `discord: channel ${discord.channelId} (ALERTS_CHANNEL_ID): the bot lacks Embed Links, Create Public Threads`,
    ]);
  });

  it('names a channel that is not there', async () => {
    const found = targets();
    found.discord?.channels.push({
      id: '100000000000000009',
      source: 'alerts.routes[0].channel',
      mentions: [],
    });
    expect(problems(await runDoctor(found))).toEqual([
      'discord: channel 100000000000000009 (alerts.routes[0].channel): no such channel',
    ]);
  });

  it('names a catalog role the server does not have', async () => {
    await discord.stop();
    discord = await new DiscordSimulator({ botToken: TOKEN }).start();
    for (const role of Object.keys(catalog.roles)) if (role !== 'approver') discord.role(role);
    const findings = await runDoctor(targets());
    expect(problems(findings)).toEqual([
      'discord: catalog role `approver`: no role of the server has this name',
    ]);
    expect(findings.find((f) => !f.ok)?.fix).toContain('create a role named exactly `approver`');
  });

  it('names a role it would ping that notifies nobody', async () => {
    const oncall = discord.role('on-call');
    discord.withholdPermission(discord.channelId, 'MentionEveryone');
    const found = targets();
    found.discord?.channels.splice(0, 1, {
      id: discord.channelId,
      source: 'ALERTS_CHANNEL_ID',
      mentions: [oncall.id],
    });
    expect(problems(await runDoctor(found))).toEqual([
      `discord: ALERTS_CHANNEL_ID: role ${oncall.id}: @on-call is not mentionable and the bot may not mention every role in this channel: its pings would notify nobody`,
    ]);
  });

  it('names a workflow the repository lacks', async () => {
    await github.stop();
    github = await startGithub({
      workflows: DEFAULT_WORKFLOWS.filter((w) => w.file !== 'ami.yml'),
    });
    expect(problems(await runDoctor(targets()))).toEqual([
      'github: workflow ami.yml: the repository has no such workflow on its default branch',
    ]);
  });

  it('names a workflow whose dispatch inputs are not the contract', async () => {
    await github.stop();
    github = await startGithub({
      workflows: DEFAULT_WORKFLOWS.map((w) =>
        w.file === 'deploy.yml'
          ? { ...w, inputs: [...w.inputs.filter((i) => i !== 'ref'), 'version'] }
          : w,
      ),
    });
    expect(problems(await runDoctor(targets()))).toEqual([
      'github: workflow deploy.yml: GitHub would refuse the inputs ref it lacks; it declares version, which the API never sends',
    ]);
  });

  it('names a missing webhook, and one without the run events', async () => {
    await github.stop();
    github = await startGithub({ webhook: undefined });
    expect(problems(await runDoctor(targets()))).toEqual([
      'github: webhook: nothing delivers to /v1/github/webhook',
    ]);
    await github.stop();
    github = await startGithub({ webhookEvents: ['push', 'workflow_run'] });
    expect(problems(await runDoctor(targets()))).toEqual([
      'github: webhook https://chatops.example.com/v1/github/webhook: it does not send workflow_job',
    ]);
  });

  it('names credentials GitHub rejects', async () => {
    const found = targets();
    found.github = {
      auth: 'token',
      setup: new OctokitGithubRepository({
        owner: 'acme',
        repo: 'chatops',
        auth: { kind: 'token', token: 'ghs_wrong' },
        baseUrl: github.baseUrl,
        retries: 0,
      }),
    };
    expect(problems(await runDoctor(found))).toEqual([
      'github: acme/chatops: GitHub rejected the credentials (401)',
    ]);
  });

  it('names an environment with no host online in SSM', async () => {
    for (const host of aws.hostsOf('prod')) aws.setPing(host.id, 'ConnectionLost');
    const [problem] = problems(await runDoctor(targets()));
    expect(problem).toMatch(
      /^aws: hosts of prod: none of i-0\w+ \(ConnectionLost\), i-0\w+ \(ConnectionLost\) is online in SSM$/,
    );
  });

  it('names a missing SSM document', async () => {
    await aws.stop();
    aws = await startAws({ documents: [] });
    expect(problems(await runDoctor(targets()))).toEqual([
      'aws: SSM document chatops-redeploy: missing: /redeploy and /rollback send it',
    ]);
  });

  it('names an Alertmanager that does not answer', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    expect(problems(await runDoctor(targets({ alertmanagerUrl: down })))).toEqual([
      `alertmanager: Alertmanager ${down}: unreachable (ECONNREFUSED)`,
    ]);
  });
});
