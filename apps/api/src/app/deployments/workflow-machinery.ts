import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import {
  BakeWatcher,
  DeploymentNotifier,
  DeploymentPoller,
  DeploymentService,
  DeploymentTracker,
  DiscordProgressNotifier,
  DispatchReconciler,
  FleetExecutor,
  GithubWorkflowExecutor,
  recordedBadVersions,
  FleetPoller,
  DeliveryMetricsExporter,
  DeliveryMetricsReader,
  FleetStatusReader,
  GithubWebhookIntake,
  RefSuggestions,
  GithubEnvironmentGate,
  silentNotifier,
  workflowOutputsFrom,
} from '@chatops/deployments';
import { OctokitGithubRepository } from '@chatops/github';
import type { ApiParts } from '../clients';

/** Everything behind /v1/deployments, /v1/fleet and the GitHub webhook, built once per process. */
export interface WorkflowMachinery {
  /** Workflow kinds answer 503 without GitHub credentials, fleet kinds without AWS_REGION. */
  service: DeploymentService;
  githubConfigured: boolean;
  refs: RefSuggestions | null;
  intake: GithubWebhookIntake;
  poller: DeploymentPoller | null;
  /** Finds or ends workflow deployments a crash left queued without a run. */
  reconciler: DispatchReconciler | null;
  /** Null when AWS_REGION is not set. */
  fleet: { status: FleetStatusReader; poller: FleetPoller } | null;
  /** The delivery metrics of the record (needs neither GitHub nor AWS). */
  delivery: DeliveryMetricsReader;
  /** Watches the bake windows (null: no environment bakes, or no PROMETHEUS_URL). */
  bakes: BakeWatcher | null;
  notifier: DeploymentNotifier;
  /** Starts the background loops (polling, approval expiry). */
  start(): void;
  stop(): Promise<void>;
}

const EXPIRY_SWEEP_MS = 15_000;

export function buildWorkflowMachinery({
  config,
  catalog,
  repositories,
  logger,
  registry,
  clients,
}: ApiParts): WorkflowMachinery {
  const { github, fleet: fleetRepository, discord: channel, prometheus } = clients;
  const finished = new Counter({
    name: 'deployments_finished_total',
    help: 'Deployments that ended, by kind, service, environment and status (the "deploy failed" alert)',
    labelNames: ['kind', 'service', 'environment', 'status'],
    registers: [registry],
  });
  const notifier = channel
    ? new DiscordProgressNotifier(repositories, channel, {
        log: logger,
        logs: github,
        approverRoleOf: (environment) =>
          catalog.environments.find((e) => e.name === environment)?.approverRole,
      })
    : silentNotifier;
  // One approval: the Discord approval carried to a GitHub environment that also protects deploys.
  const reviewer =
    github && config.GITHUB_REVIEWER_TOKEN
      ? new OctokitGithubRepository({
          owner: catalog.github.owner,
          repo: catalog.github.repo,
          auth: { kind: 'token', token: config.GITHUB_REVIEWER_TOKEN },
          baseUrl: config.GITHUB_API_URL,
          writeIntervalMs: config.GITHUB_WRITE_INTERVAL_MS,
          log: logger,
        })
      : null;
  const gate = new GithubEnvironmentGate(catalog, repositories, {
    reviewer,
    app: config.GITHUB_APP_ID ? github : null,
    log: logger,
  });
  const tracker = new DeploymentTracker(repositories, {
    notifier,
    lockTtlMs: config.DEPLOY_LOCK_TTL_MS,
    onFinished: (d, status) =>
      finished.inc({ kind: d.kind, service: d.service, environment: d.environment, status }),
    ...(github ? { outputsOf: workflowOutputsFrom(github) } : {}),
    onWaiting: async (deployment) => {
      await gate.runWaiting(deployment);
    },
    log: logger,
  });
  const intake = new GithubWebhookIntake(repositories, tracker, gate);
  const executor = fleetRepository
    ? new FleetExecutor(catalog, fleetRepository, {
        region: config.AWS_REGION,
        giveUpMs: config.FLEET_SEND_DEADLINE_MS,
        badVersions: recordedBadVersions(repositories),
      })
    : null;
  const workflows = github
    ? new GithubWorkflowExecutor(github, { runListingDelayMs: config.GITHUB_RUN_LISTING_DELAY_MS })
    : null;
  const service = new DeploymentService(catalog, repositories, github, notifier, {
    lockTtlMs: config.DEPLOY_LOCK_TTL_MS,
    fleet: executor,
    workflows,
    tracker,
  });
  const fleet = executor
    ? {
        status: new FleetStatusReader(catalog, repositories, executor),
        poller: new FleetPoller(repositories, executor, tracker, {
          intervalMs: config.FLEET_POLL_INTERVAL_MS,
          log: logger,
        }),
      }
    : null;
  const poller = github
    ? new DeploymentPoller(repositories, github, tracker, {
        intervalMs: config.GITHUB_POLL_INTERVAL_MS,
        webhookGraceMs: config.GITHUB_WEBHOOK_GRACE_MS,
        log: logger,
      })
    : null;
  const reconciler =
    workflows || executor
      ? new DispatchReconciler(repositories, { workflows, fleet: executor }, tracker, {
          intervalMs: Math.min(config.GITHUB_POLL_INTERVAL_MS, config.FLEET_POLL_INTERVAL_MS),
          graceMs: config.GITHUB_WEBHOOK_GRACE_MS,
          log: logger,
        })
      : null;
  const bakes =
    prometheus && BakeWatcher.wanted(catalog)
      ? new BakeWatcher(
          catalog,
          repositories,
          prometheus,
          (deployment) => service.rollbackAfterBake(deployment),
          channel,
          notifier,
          { log: logger },
        )
      : null;
  const delivery = new DeliveryMetricsReader(catalog, repositories);
  // The same figures on /metrics, from one replica at a time (a lease in the database).
  new DeliveryMetricsExporter(delivery, repositories, registry, {
    holderId: config.INSTANCE_ID ?? `${hostname()}:${config.PORT}`,
    log: logger,
  });
  let sweep: NodeJS.Timeout | null = null;
  return {
    service,
    githubConfigured: github !== null,
    refs: github ? new RefSuggestions(github) : null,
    intake,
    poller,
    reconciler,
    fleet,
    delivery,
    bakes,
    notifier,
    start() {
      poller?.start();
      bakes?.start();
      reconciler?.start();
      fleet?.poller.start();
      sweep ??= setInterval(() => {
        service
          .expireApprovals()
          .catch((error: unknown) => logger.warn({ err: error }, 'approval expiry sweep failed'));
      }, EXPIRY_SWEEP_MS);
      sweep.unref();
    },
    async stop() {
      poller?.stop();
      bakes?.stop();
      reconciler?.stop();
      fleet?.poller.stop();
      if (sweep) clearInterval(sweep);
      if (notifier instanceof DiscordProgressNotifier) await notifier.idle();
    },
  };
}
