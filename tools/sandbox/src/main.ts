import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DEFAULT_CATALOG_PATH, loadCatalog, parseCatalog } from '@chatops/config';
import { DiscordSimulator, type DiscordSimState } from '@chatops/discord-sim';
import { GithubSimulator, type GithubSimState } from '@chatops/github-sim';
import { AwsSimulator, type AwsSimState } from '@chatops/aws-sim';
import { ecrRepositoryOf, isSnowflake } from '@chatops/domain';
import {
  alertmanagerOverlay,
  startAlertmanager,
  startPrometheus,
  type MonitoringServer,
} from '@chatops/testing';
import { HealthSource, SANDBOX_RULES, sandboxPrometheusConfig } from './health-source';
import { approvingRoleName, sandboxCatalog } from './catalog-overlay';
import { openConsole } from './console';
import { Child, Output, startChild, stopChildren, waitForHttp } from './processes';
import { BOT_NODE_OPTIONS } from './runtime';
import { portProblems } from './ports';
import { sandboxStorage } from './saved-state';
import { isAlive, readState, removeState, SandboxState, stopOrphans, writeState } from './state';

/** Releases the sandbox's ECR holds besides v1.4.0, which every host runs at first. */
const SANDBOX_RELEASES = ['v1.3.0', 'v2.0.0', 'v2.1.0', 'v3.0.0'];

/**
 * The sandbox behind `npm start`: the API and the bot as built, and (without DISCORD_TOKEN) the
 * Discord simulator they talk to, then the interactive console. Runs from the workspace root.
 * Flags: --no-console (run until stopped, logs on stdout), --console (open it even without a
 * terminal), --reset (forget the saved state and start clean).
 *
 * Everything the sandbox knows lives together in SANDBOX_DATA_DIR (data/sandbox): the API's
 * database and the stand-ins' state, saved as it changes, so the next start carries on.
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
  // Each external system is a stand-in unless it is configured.
  const useSimulator = !process.env['DISCORD_TOKEN'];
  const githubStandIn = !process.env['GITHUB_TOKEN'] && !process.env['GITHUB_APP_ID'];
  const awsStandIn = !process.env['AWS_REGION'];
  // The console opens on a terminal, or on any stdin with --console (scripts, tests).
  const interactive =
    args.has('--console') || (!args.has('--no-console') && process.stdin.isTTY === true);
  const output: (name: string) => Output = (name) =>
    interactive
      ? { kind: 'file', path: join(root, 'tmp', 'sandbox', `${name}.log`) }
      : { kind: 'stdout' };
  const say = (text: string) => process.stdout.write(`\x1b[1m[chatops]\x1b[0m ${text}\n`);
  const refuse = (problems: string[]) => {
    process.stderr.write(
      `[chatops] the sandbox cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    process.exit(1);
  };

  // Bake windows of this many minutes in every environment without one (0: none).
  const bakeMinutes = Number(process.env['SANDBOX_BAKE_MINUTES'] || 0);
  if (!Number.isInteger(bakeMinutes) || bakeMinutes < 0 || bakeMinutes > 60)
    refuse(['SANDBOX_BAKE_MINUTES must be a whole number of minutes from 0 to 60']);

  const orphans = await stopOrphans(root);
  if (orphans.length)
    say(`Stopped what a sandbox that was killed left running: ${orphans.join(', ')}`);

  const ports = await portProblems(host, [
    { variable: 'API_PORT', port: apiPort, what: 'the API' },
    { variable: 'BOT_PORT', port: botPort, what: "the bot's health server" },
    ...(useSimulator
      ? [{ variable: 'SIM_PORT', port: simPort, what: 'the Discord simulator' }]
      : []),
    ...(githubStandIn
      ? [{ variable: 'GITHUB_SIM_PORT', port: githubPort, what: 'the GitHub stand-in' }]
      : []),
    ...(awsStandIn ? [{ variable: 'AWS_SIM_PORT', port: awsPort, what: 'the AWS stand-in' }] : []),
  ]);
  if (ports.length) {
    const running = readState(root);
    if (running && isAlive(running.pid))
      ports.push(
        `a sandbox is already running (pid ${running.pid}, API ${running.apiUrl}): \`npm run chat\` talks to it; stop it with Ctrl-C where it runs, or \`kill ${running.pid}\``,
      );
    refuse(ports);
  }

  const { store, databaseUrl } = sandboxStorage(root, process.env);
  if (args.has('--reset')) {
    if (!store.databaseFile)
      refuse([
        '--reset deletes the sandbox database, and DATABASE_URL names PostgreSQL: drop and recreate that database yourself, then start without --reset',
      ]);
    store.reset();
    say('Reset: the saved sandbox state and database are gone; starting clean.');
  }
  // With every system real, no stand-in state exists for the database to disagree with.
  const incoherent = useSimulator || githubStandIn || awsStandIn ? store.problems() : [];
  if (incoherent.length) refuse(incoherent);
  let state: {
    discord: DiscordSimState | null;
    github: GithubSimState | null;
    aws: AwsSimState | null;
  };
  try {
    state = {
      discord: store.load<DiscordSimState>('discord'),
      github: store.load<GithubSimState>('github'),
      aws: store.load<AwsSimState>('aws'),
    };
  } catch (error) {
    return refuse([(error as Error).message]);
  }
  store.claim();
  const restored = Boolean(state.discord ?? state.github ?? state.aws);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: host,
    DATABASE_URL: databaseUrl,
    // One token for both apps, generated per run when none is configured; it never leaves this machine.
    API_SERVICE_TOKEN: process.env['API_SERVICE_TOKEN'] || randomBytes(32).toString('hex'),
  };
  const catalogPath = process.env['CATALOG_PATH'] || DEFAULT_CATALOG_PATH;
  let catalog = loadCatalog(catalogPath);
  // AWS: the stand-in (two hosts per environment behind a load balancer, every service at v1.4.0) unless a region is
  // configured. The API reaches it through AWS_ENDPOINT_URL with the SDK as it is.
  let aws: AwsSimulator | null = null;
  if (awsStandIn) {
    aws = await new AwsSimulator({
      project: catalog.project,
      environments: catalog.environments.map((e) => e.name),
      services: catalog.services.map((s) => s.name),
      initialVersion: 'v1.4.0',
      // The releases in ECR besides v1.4.0 (a redeploy of any other tag is refused) …
      images: SANDBOX_RELEASES,
      // … in each service's repository as the catalog names it.
      repositories: Object.fromEntries(
        catalog.services.flatMap((s) => {
          const repository = ecrRepositoryOf(s.image);
          return repository ? [[s.name, repository.repositoryName]] : [];
        }),
      ),
      // Every environment's hosts sit behind a load balancer, as infra/envs puts them: an api
      // redeploy takes each out of service in turn, and /status shows where each stands.
      loadBalanced: catalog.environments.map((e) => e.name),
      state: state.aws ?? undefined,
      onChange: () => aws && store.save('aws', aws.snapshot()),
    }).start(awsPort, host);
    Object.assign(env, { ...aws.clientEnv, AWS_EC2_METADATA_DISABLED: 'true' });
  }
  let sim: DiscordSimulator | null = null;
  if (useSimulator) {
    const botToken = `sandbox.${randomBytes(48).toString('base64url')}`;
    sim = await new DiscordSimulator({
      botToken,
      log: interactive ? undefined : (line) => process.stdout.write(`[discord] ${line}\n`),
      state: state.discord ?? undefined,
      onChange: () => sim && store.save('discord', sim.snapshot()),
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
              // Alerts about the relay itself also arrive through an incoming webhook.
              fallbackWebhookUrl: sim.createWebhook('Alertmanager (relay alerts)').url,
            },
          ),
          {},
          // Silences and the notification log survive restarts beside the rest of the state.
          { dataDir: store.alertmanagerDir, maintenanceInterval: '5s' },
        );
        env['ALERTMANAGER_URL'] = alertmanager.url;
      } catch (error) {
        say(
          `Alertmanager not started (${(error as Error).message.split('\n')[0]}): /alerts and /silences answer 503`,
        );
      }
    }
  }

  // Prometheus (when installed): scrapes the console's health source and alerts through the
  // Alertmanager above, so bake windows and the deploy ↔ alert correlation show end to end.
  let prometheus: MonitoringServer | null = null;
  let health: HealthSource | null = null;
  if (sim && !process.env['PROMETHEUS_URL']) {
    health = new HealthSource(
      catalog.services.map((s) => s.name),
      catalog.environments.map((e) => e.name),
    );
    try {
      const target = await health.start(host);
      prometheus = await startPrometheus(
        sandboxPrometheusConfig(
          target,
          alertmanager ? `${host}:${new URL(alertmanager.url).port}` : null,
        ),
        { 'sandbox-rules.yml': SANDBOX_RULES },
      );
      env['PROMETHEUS_URL'] = prometheus.url;
    } catch (error) {
      await health.stop();
      health = null;
      say(`Prometheus not started (${(error as Error).message.split('\n')[0]}): no bake windows`);
    }
  }

  // The catalog as the stand-ins complete it: environments that need an approval and do not say
  // otherwise mention the simulator's approvers and are protected on the GitHub stand-in by a
  // reviewer the Discord approval stands for (see catalog-overlay.ts).
  // The simulated server is set up as docs/going-live.md asks a real one to be: the catalog's
  // roles exist (members get them with `as user2 approver` or --roles).
  for (const role of Object.keys(catalog.roles)) if (sim && !isSnowflake(role)) sim.role(role);
  if (sim || githubStandIn || prometheus) {
    const text = sandboxCatalog(readFileSync(catalogPath, 'utf8'), (environment) => {
      const approvers = sim ? approvingRoleName(catalog.roles, environment) : null;
      return {
        ...(sim && approvers ? { approverRole: sim.role(approvers).id } : {}),
        ...(githubStandIn ? { githubApproval: 'reviewer-token' as const } : {}),
        // SANDBOX_BAKE_MINUTES: bake windows that long (staging rolls back by itself, the
        // others ping the requester). Off unless asked: a second deploy during one is confirmed.
        ...(prometheus && bakeMinutes
          ? {
              bake: {
                minutes: bakeMinutes,
                onFailure: environment === 'staging' ? ('rollback' as const) : ('ping' as const),
              },
            }
          : {}),
      };
    });
    catalog = parseCatalog(text, `catalog ${catalogPath} (with the sandbox's additions)`);
    env['CATALOG_PATH'] = store.catalogPath;
    store.saveCatalog(text);
  }
  // GitHub: the stand-in unless real credentials are configured. Its runs report back through
  // the API's webhook, as GitHub's would.
  let github: GithubSimulator | null = null;
  if (githubStandIn) {
    const githubToken = `ghs_sandbox${randomBytes(24).toString('hex')}`;
    const webhookSecret = randomBytes(32).toString('hex');
    // Environments the catalog approves on GitHub with a reviewer's token are protected here by
    // such a reviewer, so the sandbox shows one approval (a token stand-in answers no App rule).
    const reviewerToken = `ghu_sandbox${randomBytes(24).toString('hex')}`;
    const reviewed = catalog.environments.filter((e) => e.githubApproval === 'reviewer-token');
    github = await new GithubSimulator({
      owner: catalog.github.owner,
      repo: catalog.github.repo,
      token: githubToken,
      environments: Object.fromEntries(
        reviewed.map((e) => [
          e.name,
          { reviewers: [{ login: 'release-manager', token: reviewerToken }] },
        ]),
      ),
      webhook: { url: `http://${host}:${apiPort}/v1/github/webhook`, secret: webhookSecret },
      log: interactive ? undefined : (line) => process.stdout.write(`[github] ${line}\n`),
      state: state.github ?? undefined,
      onChange: () => github && store.save('github', github.snapshot()),
      // A successful deploy run pushed the commit's image and rolled it out, as deploy.yml does.
      onRunCompleted: ({ workflow, inputs, headSha, conclusion }) => {
        const service = catalog.services.find((s) => s.name === inputs['service']);
        // deploy.yml builds the commit its `ref` input names (the API pins it to a SHA).
        const built = /^[0-9a-f]{40}$/.test(inputs['ref'] ?? '')
          ? (inputs['ref'] as string)
          : headSha;
        if (conclusion === 'success' && service?.workflow === workflow && inputs['environment'])
          aws?.applyDeploy(inputs['environment'], service.name, built.slice(0, 12));
      },
    }).start(githubPort, host);
    Object.assign(env, {
      GITHUB_API_URL: github.baseUrl,
      GITHUB_TOKEN: githubToken,
      GITHUB_WEBHOOK_SECRET: webhookSecret,
      ...(reviewed.length ? { GITHUB_REVIEWER_TOKEN: reviewerToken } : {}),
    });
  }

  const saveAll = () => {
    if (sim) store.save('discord', sim.snapshot());
    if (github) store.save('github', github.snapshot());
    if (aws) store.save('aws', aws.snapshot());
  };
  // Changes made in this process (the console acting as a member) are saved within a second too.
  const saver = setInterval(saveAll, 1000);
  saver.unref();

  const children: Child[] = [];
  const published: SandboxState = {
    pid: process.pid,
    simUrl: null,
    apiUrl: `http://${host}:${apiPort}`,
    botUrl: `http://${host}:${botPort}`,
    children: [
      ...(alertmanager?.process.child.pid
        ? [{ name: 'alertmanager', pid: alertmanager.process.child.pid }]
        : []),
      ...(prometheus?.process.child.pid
        ? [{ name: 'prometheus', pid: prometheus.process.child.pid }]
        : []),
    ],
  };
  const started = (child: Child) => {
    children.push(child);
    if (child.process.pid) published.children?.push({ name: child.name, pid: child.process.pid });
    writeState(root, published);
  };
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(saver);
    await stopChildren(children);
    await sim?.stop();
    await github?.stop();
    await aws?.stop();
    await prometheus?.stop();
    await health?.stop();
    await alertmanager?.stop();
    saveAll();
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

  // What the sandbox configured for the API (tokens generated for this start, local stand-ins),
  // so `npm run doctor -- --dotenv data/sandbox/api.env` checks the sandbox as a real setup.
  store.saveApiEnv(
    Object.fromEntries(
      Object.entries(env).filter(
        (entry): entry is [string, string] =>
          entry[1] !== undefined && entry[1] !== process.env[entry[0]],
      ),
    ),
  );

  try {
    const api = startChild(
      'api',
      'dist/apps/api/main.js',
      // The API posts and edits deployment messages with the bot's token.
      { ...env, PORT: String(apiPort) },
      output('api'),
      root,
    );
    started(api);
    watch(api);
    await waitForHttp(`http://${host}:${apiPort}/health/ready`, (s) => s === 200, api);
    // Work that was under way when the sandbox stopped carries on, now that the API listens.
    github?.resume();
    aws?.resume();

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
    started(bot);
    watch(bot);
    await waitForHttp(
      `http://${host}:${botPort}/health${sim ? '' : '/live'}`,
      (s) => s === 200,
      bot,
    );

    writeState(
      root,
      Object.assign(published, {
        simUrl: sim?.baseUrl ?? null,
        githubUrl: github?.baseUrl ?? null,
        awsUrl: aws?.endpoint ?? null,
        alertmanagerUrl: alertmanager?.url ?? null,
        prometheusUrl: prometheus?.url ?? null,
        dataDir: store.dir,
      }),
    );
    say(
      restored
        ? `State    carried on from ${store.dir} (\`npm start -- --reset\` starts clean)`
        : `State    kept in ${store.dir} across restarts (\`npm start -- --reset\` starts clean)`,
    );
    say(
      `API      http://${host}:${apiPort}   (GET /health/ready, /metrics; \`npm run doctor -- --dotenv ${relative(root, store.apiEnvPath)}\` checks the setup)`,
    );
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
        ? `AWS      stand-in at ${aws.endpoint}: ${aws.hosts.length} hosts, every service at v1.4.0, ECR holding ${['v1.4.0', ...SANDBOX_RELEASES].join(', ')}; \`fail host\` in the console makes the next redeploy fail on one`
        : `AWS      region ${process.env['AWS_REGION']}`,
    );
    say(interactive ? 'Ctrl-C or `quit` stops everything.' : 'Ctrl-C stops everything.');
    if (sim)
      say(
        alertmanager
          ? `Alerts   to #ops through Alertmanager at ${alertmanager.url}; \`fire ApiDown staging api\` in the console`
          : `Alerts   to #ops (POST /v1/alerts/alertmanager)`,
      );
    if (prometheus)
      say(
        bakeMinutes
          ? `Bakes    ${bakeMinutes} min after each deploy, watched through Prometheus at ${prometheus.url}; \`unhealthy api staging\` in the console makes one fail (staging rolls back, others ping)`
          : `Metrics  Prometheus at ${prometheus.url}; \`unhealthy api staging\` fires an alert (SANDBOX_BAKE_MINUTES=1 adds bake windows)`,
      );
    if (sim && interactive)
      openConsole({
        sim,
        github,
        aws,
        health,
        alertmanagerUrl: alertmanager?.url ?? null,
        fired: store.load<Record<string, Record<string, string>>>('console') ?? {},
        saveFired: (fired) => store.save('console', fired),
        onQuit: () => void stop(0),
      });
  } catch (error) {
    say(`sandbox failed: ${(error as Error).message}`);
    await stop(1);
  }
}

void main();
