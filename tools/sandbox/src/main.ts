import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CATALOG_PATH, loadCatalog } from '@chatops/config';
import { DiscordSimulator } from '@chatops/discord-sim';
import { GithubSimulator } from '@chatops/github-sim';
import { AwsSimulator } from '@chatops/aws-sim';
import { alertmanagerOverlay, startAlertmanager, type MonitoringServer } from '@chatops/testing';
import { openConsole } from './console';
import { Child, Output, startChild, stopChildren, waitForHttp } from './processes';
import { BOT_NODE_OPTIONS } from './runtime';
import { removeState, writeState } from './state';

/**
 * The sandbox behind `npm start`: the API and the bot as built, and (without DISCORD_TOKEN) the
 * Discord simulator they talk to, then the interactive console. Runs from the workspace root.
 * Flags: --no-console (run until stopped, logs on stdout), --console (open it even without a terminal).
 */
async function main(): Promise<void> {
  const root = process.cwd();
  const args = new Set(process.argv.slice(2));
  const host = process.env['HOST'] || '127.0.0.1';
  const apiPort = Number(process.env['API_PORT'] || 3000);
  const botPort = Number(process.env['BOT_PORT'] || 3001);
  const simPort = Number(process.env['SIM_PORT'] || 3002);
  const githubPort = Number(process.env['GITHUB_SIM_PORT'] || 3003);
  const awsPort = Number(process.env['AWS_SIM_PORT'] || 3004);
  const useSimulator = !process.env['DISCORD_TOKEN'];
  // The console opens on a terminal, or on any stdin with --console (scripts, tests).
  const interactive =
    args.has('--console') || (!args.has('--no-console') && process.stdin.isTTY === true);
  const output: (name: string) => Output = (name) =>
    interactive
      ? { kind: 'file', path: join(root, 'tmp', 'sandbox', `${name}.log`) }
      : { kind: 'stdout' };
  const say = (text: string) => process.stdout.write(`\x1b[1m[chatops]\x1b[0m ${text}\n`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: host,
    // One token for both apps, generated per run when none is configured; it never leaves this machine.
    API_SERVICE_TOKEN: process.env['API_SERVICE_TOKEN'] || randomBytes(32).toString('hex'),
  };
  const catalog = loadCatalog(process.env['CATALOG_PATH'] || DEFAULT_CATALOG_PATH);
  // AWS: the stand-in (two hosts per environment, every service at v1.4.0) unless a region is
  // configured. The API reaches it through AWS_ENDPOINT_URL with the SDK as it is.
  let aws: AwsSimulator | null = null;
  if (!process.env['AWS_REGION']) {
    aws = await new AwsSimulator({
      project: catalog.project,
      environments: catalog.environments.map((e) => e.name),
      services: catalog.services.map((s) => s.name),
      initialVersion: 'v1.4.0',
    }).start(awsPort, host);
    Object.assign(env, { ...aws.clientEnv, AWS_EC2_METADATA_DISABLED: 'true' });
  }
  // GitHub: the stand-in unless real credentials are configured. Its runs report back through
  // the API's webhook, as GitHub's would.
  let github: GithubSimulator | null = null;
  if (!process.env['GITHUB_TOKEN'] && !process.env['GITHUB_APP_ID']) {
    const githubToken = `ghs_sandbox${randomBytes(24).toString('hex')}`;
    const webhookSecret = randomBytes(32).toString('hex');
    github = await new GithubSimulator({
      owner: catalog.github.owner,
      repo: catalog.github.repo,
      token: githubToken,
      webhook: { url: `http://${host}:${apiPort}/v1/github/webhook`, secret: webhookSecret },
      log: interactive ? undefined : (line) => process.stdout.write(`[github] ${line}\n`),
      // A successful deploy run pushed the commit's image and rolled it out, as deploy.yml does.
      onRunCompleted: ({ workflow, inputs, headSha, conclusion }) => {
        const service = catalog.services.find((s) => s.name === inputs['service']);
        if (conclusion === 'success' && service?.workflow === workflow && inputs['environment'])
          aws?.applyDeploy(inputs['environment'], service.name, headSha.slice(0, 12));
      },
    }).start(githubPort, host);
    Object.assign(env, {
      GITHUB_API_URL: github.baseUrl,
      GITHUB_TOKEN: githubToken,
      GITHUB_WEBHOOK_SECRET: webhookSecret,
    });
  }

  let sim: DiscordSimulator | null = null;
  if (useSimulator) {
    const botToken = `sandbox.${randomBytes(48).toString('base64url')}`;
    sim = await new DiscordSimulator({
      botToken,
      log: interactive ? undefined : (line) => process.stdout.write(`[discord] ${line}\n`),
    }).start(simPort, host);
    Object.assign(env, {
      DISCORD_TOKEN: botToken,
      DISCORD_APPLICATION_ID: sim.applicationId,
      DISCORD_GUILD_ID: sim.guildId,
      DISCORD_API_URL: sim.restUrl,
    });
  }

  // Alerts: delivered to #ops; a real Alertmanager (the repository's routing, short timings)
  // when it is installed, so /alerts, /silences and the console's `fire` work.
  let alertmanager: MonitoringServer | null = null;
  if (sim) {
    const alertToken = randomBytes(24).toString('hex');
    Object.assign(env, {
      ALERTS_CHANNEL_ID: process.env['ALERTS_CHANNEL_ID'] || sim.channelId,
      ALERTMANAGER_WEBHOOK_TOKEN: process.env['ALERTMANAGER_WEBHOOK_TOKEN'] || alertToken,
    });
    if (!process.env['ALERTMANAGER_URL']) {
      const tokenFile = join(mkdtempSync(join(tmpdir(), 'chatops-sandbox-')), 'alert-token');
      writeFileSync(tokenFile, String(env['ALERTMANAGER_WEBHOOK_TOKEN']), { mode: 0o600 });
      try {
        alertmanager = await startAlertmanager(
          alertmanagerOverlay(
            readFileSync(join(root, 'deploy/monitoring/alertmanager.yml'), 'utf8'),
            {
              webhookUrl: `http://${host}:${apiPort}/v1/alerts/alertmanager`,
              tokenFile,
            },
          ),
        );
        env['ALERTMANAGER_URL'] = alertmanager.url;
      } catch (error) {
        say(
          `Alertmanager not started (${(error as Error).message.split('\n')[0]}): /alerts and /silences answer 503`,
        );
      }
    }
  }

  const children: Child[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stopChildren(children);
    await sim?.stop();
    await github?.stop();
    await aws?.stop();
    await alertmanager?.stop();
    removeState(root, process.pid);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const watch = (child: Child) =>
    void child.exited.then((code) => {
      if (!stopping) {
        say(`${child.name} exited (${code}); stopping the sandbox`);
        void stop(1);
      }
    });

  try {
    const api = startChild(
      'api',
      'dist/apps/api/main.js',
      // The API posts and edits deployment messages with the bot's token.
      { ...env, PORT: String(apiPort) },
      output('api'),
      root,
    );
    children.push(api);
    watch(api);
    await waitForHttp(`http://${host}:${apiPort}/health/ready`, (s) => s === 200, api);

    if (sim) {
      const registration = startChild(
        'register',
        'dist/apps/bot/register-commands.js',
        env,
        output('bot'),
        root,
      );
      if ((await registration.exited) !== 0)
        throw new Error('command registration failed (see the bot log)');
    }
    const bot = startChild(
      'bot',
      'dist/apps/bot/main.js',
      {
        ...env,
        PORT: String(botPort),
        API_URL: `http://${host}:${apiPort}`,
        NODE_OPTIONS: BOT_NODE_OPTIONS,
      },
      output('bot'),
      root,
    );
    children.push(bot);
    watch(bot);
    await waitForHttp(
      `http://${host}:${botPort}/health${sim ? '' : '/live'}`,
      (s) => s === 200,
      bot,
    );

    writeState(root, {
      pid: process.pid,
      simUrl: sim?.baseUrl ?? null,
      githubUrl: github?.baseUrl ?? null,
      awsUrl: aws?.endpoint ?? null,
      apiUrl: `http://${host}:${apiPort}`,
      botUrl: `http://${host}:${botPort}`,
    });
    say(`API      http://${host}:${apiPort}   (GET /health/ready, /metrics)`);
    say(`Bot      http://${host}:${botPort}   (GET /health, /metrics)`);
    if (sim) {
      say(
        `Discord  simulated at ${sim.baseUrl}: no Discord account or token needed (set DISCORD_TOKEN in .env for the real one)`,
      );
      if (interactive) say(`Logs     tmp/sandbox/api.log, tmp/sandbox/bot.log`);
    } else {
      say('Discord  connecting the bot with DISCORD_TOKEN');
    }
    say(
      github
        ? `GitHub   stand-in at ${github.baseUrl}: runs take a few seconds; \`fail next\` in the console makes the next one fail`
        : 'GitHub   using GITHUB_TOKEN / GITHUB_APP_*',
    );
    say(
      aws
        ? `AWS      stand-in at ${aws.endpoint}: ${aws.hosts.length} hosts, every service at v1.4.0; \`fail host\` in the console makes the next redeploy fail on one`
        : `AWS      region ${process.env['AWS_REGION']}`,
    );
    say(interactive ? 'Ctrl-C or `quit` stops everything.' : 'Ctrl-C stops everything.');
    if (sim)
      say(
        alertmanager
          ? `Alerts   to #ops through Alertmanager at ${alertmanager.url}; \`fire ApiDown staging api\` in the console`
          : `Alerts   to #ops (POST /v1/alerts/alertmanager)`,
      );
    if (sim && interactive)
      openConsole(sim, github, aws, alertmanager?.url ?? null, () => void stop(0));
  } catch (error) {
    say(`sandbox failed: ${(error as Error).message}`);
    await stop(1);
  }
}

void main();
