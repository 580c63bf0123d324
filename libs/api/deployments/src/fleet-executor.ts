import type {
  FleetInstance,
  FleetRepository,
  InvocationResult,
  VersionRecord,
} from '@chatops/aws-fleet';
import { AwsError, AwsFleetRepository, setDesiredVersionBack } from '@chatops/aws-fleet';
import {
  Catalog,
  ecrRepositoryOf,
  fleetDocumentOf,
  JobProgress,
  Refusal,
  unreachableFleet,
} from '@chatops/domain';
import type { Deployment, Repositories } from '@chatops/persistence';
import type { DeploymentExecutor, RunHandle } from './executor';

export interface ResolvedFleetRequest {
  /** The image version the hosts will run. */
  version: string;
  /** The image it names in ECR now (null: the image is not in ECR, so not looked up). */
  digest: string | null;
  /** The desired version before this request (null: nothing deployed yet). */
  current: VersionRecord | null;
  hosts: FleetInstance[];
}

export interface FleetExecutorOptions {
  /** For the AWS console link of a command. */
  region?: string;
  /**
   * How long after a redeploy was queued no command carrying its marker means none was sent
   * (default 2 minutes: an SDK call with its retries ends well within that).
   */
  giveUpMs?: number;
  /**
   * The versions a rollback must not return to in an environment, with why (rolled back from,
   * or their last deploy failed): from the platform's own records (see `badVersionsOf`).
   */
  badVersions?: (service: string, environment: string) => Promise<Map<string, string>>;
}

/** How far before a deployment's creation its command is looked for (clocks differ). */
const CLOCK_MARGIN_MS = 5 * 60_000;

/**
 * `/redeploy` and `/rollback` on the hosts: resolves the version from Parameter Store (the
 * current one for a restart, the previous distinct one for a rollback), checks there are hosts
 * SSM can reach, then records the desired version and sends the redeploy document by tag.
 */
export class FleetExecutor implements DeploymentExecutor {
  readonly giveUpMs: number;

  constructor(
    private readonly catalog: Catalog,
    private readonly fleet: FleetRepository,
    private readonly options: FleetExecutorOptions = {},
  ) {
    this.giveUpMs = options.giveUpMs ?? 120_000;
  }

  async resolve(request: {
    kind: 'redeploy' | 'rollback';
    service: string;
    environment: string;
    /** Redeploy: the version asked for (empty: the current one). */
    version: string;
    /** Rollback: the parameter version the member confirmed as current. */
    rollbackFrom?: number | null;
    /** Rollback: the version the member chose (default: the last known good). */
    rollbackTo?: string | null;
  }): Promise<ResolvedFleetRequest> {
    const scope = this.scope(request.environment);
    const [history, hosts] = await Promise.all([
      this.fleet.versionHistory(scope, request.service),
      this.fleet.listInstances(scope),
    ]);
    const current = history[0] ?? null;
    let version = request.version;
    if (request.kind === 'redeploy' && !version) {
      if (!current)
        throw new Refusal(
          'not-possible',
          `nothing of ${request.service} is deployed on ${request.environment} yet: give a version`,
        );
      version = current.value;
    }
    if (request.kind === 'rollback') {
      const bad = await this.badVersions(request.service, request.environment);
      const target = request.rollbackTo
        ? chosenTarget(history, request.rollbackTo, request.service, request.environment)
        : rollbackTarget(history, bad);
      if (!current || !target)
        throw new Refusal('not-possible', noEarlierGood(request.service, request.environment, bad));
      if (request.rollbackFrom != null && request.rollbackFrom !== current.version)
        throw new Refusal(
          'conflict',
          `the deploy history of ${request.service} on ${request.environment} changed since you asked (it is now at \`${current.value}\`): run /rollback again`,
        );
      version = target.value;
    }
    const digest = await this.checkImage(request.service, version);
    const unreachable = unreachableFleet(hosts, {
      project: this.catalog.project,
      environment: request.environment,
    });
    if (unreachable) throw unreachable;
    return { version, digest, current, hosts };
  }

  /** The version a `/rollback` would return to (`to`, or the last known good), and the one it leaves. */
  async rollbackPreview(
    service: string,
    environment: string,
    to?: string | null,
  ): Promise<{
    current: VersionRecord | null;
    target: VersionRecord | null;
    bad: Map<string, string>;
  }> {
    const [history, bad] = await Promise.all([
      this.fleet.versionHistory(this.scope(environment), service),
      this.badVersions(service, environment),
    ]);
    const target = to
      ? chosenTarget(history, to, service, environment)
      : rollbackTarget(history, bad);
    return { current: history[0] ?? null, target, bad };
  }

  /** The desired version now (null: nothing deployed yet). */
  async currentVersion(service: string, environment: string): Promise<VersionRecord | null> {
    const history = await this.fleet.versionHistory(this.scope(environment), service);
    return history[0] ?? null;
  }

  /**
   * Refuses a version ECR does not hold, before any host is told: each would fail its pull and
   * roll back, one at a time. Returns the image's digest; images outside ECR cannot be asked
   * about and are not checked (null).
   */
  private async checkImage(service: string, version: string): Promise<string | null> {
    const image = this.catalog.services.find((s) => s.name === service)?.image;
    const repository = image ? ecrRepositoryOf(image) : null;
    if (!repository) return null;
    const digest = await this.fleet.imageDigest(repository, version);
    if (digest) return digest;
    throw new Refusal(
      'not-possible',
      `ECR has no image \`${version}\` of ${service} (repository ${repository.repositoryName}): nothing for the hosts to pull. Build it with /deploy, or pick a version from /history`,
    );
  }

  private badVersions(service: string, environment: string): Promise<Map<string, string>> {
    return this.options.badVersions?.(service, environment) ?? Promise.resolve(new Map());
  }

  /** Records the desired version (unless it is already) and sends the redeploy to the hosts. */
  async start(deployment: Deployment): Promise<{ runId: string; runUrl: string }> {
    const scope = this.scope(deployment.environment);
    const version = deployment.version ?? deployment.ref;
    // Checked again: an approval can take long enough for a lifecycle policy to expire the image,
    // or for a tag to be deleted and pushed again with another build: what was approved (a
    // promotion: what ran where it came from) is the image that may run, no other.
    const digest = await this.checkImage(deployment.service, version);
    if (deployment.imageDigest && digest && digest !== deployment.imageDigest)
      throw new Refusal(
        'conflict',
        `\`${version}\` of ${deployment.service} is no longer the image that was approved (${shortDigest(deployment.imageDigest)}, now ${shortDigest(digest)}): nothing was changed. Ask again to deploy what it names now`,
      );
    const history = await this.fleet.versionHistory(scope, deployment.service);
    // A restart leaves the history alone: it records deploys, not restarts.
    if (history[0]?.value !== version)
      await this.fleet.setDesiredVersion(scope, deployment.service, version);
    const commandId = await this.fleet.sendRedeploy({
      ...scope,
      service: deployment.service,
      imageTag: version,
      documentName: fleetDocumentOf(this.catalog),
      maxConcurrency: this.catalog.fleet.maxConcurrency,
      maxErrors: this.catalog.fleet.maxErrors,
      comment: commandComment(deployment),
    });
    return { runId: commandId, runUrl: this.consoleUrl(commandId) };
  }

  /**
   * A redeploy that died between writing the desired version and sending the command leaves
   * Parameter Store ahead of the hosts (a replaced host would start the new version): the
   * version it replaced is written back, if nobody has changed it since.
   */
  async abandon(deployment: Deployment): Promise<string | null> {
    const version = deployment.version ?? deployment.ref;
    const from = deployment.fromVersion;
    if (!from || from === version) return null;
    const undone = await setDesiredVersionBack(
      this.fleet,
      this.scope(deployment.environment),
      deployment.service,
      version,
      from,
    );
    return undone?.message ?? null;
  }

  async findStarted(deployment: Deployment): Promise<RunHandle | null> {
    const commandId = await this.fleet.findCommandByComment(
      fleetDocumentOf(this.catalog),
      commandMarker(deployment),
      deployment.createdAt - CLOCK_MARGIN_MS,
    );
    return commandId
      ? { runId: commandId, runUrl: this.consoleUrl(commandId), correlatedBy: 'comment' }
      : null;
  }

  cancel(commandId: string): Promise<void> {
    return this.fleet.cancelCommand(commandId);
  }

  listInvocations(commandId: string): Promise<InvocationResult[]> {
    return this.fleet.listInvocations(commandId);
  }

  outputTail(commandId: string, instanceId: string): Promise<string | null> {
    return this.fleet.outputTail(commandId, instanceId);
  }

  /** The hosts with their place behind the load balancer (shown as unreadable when AWS refuses). */
  async hosts(environment: string): Promise<FleetInstance[]> {
    const hosts = await this.fleet.listInstances(this.scope(environment));
    try {
      const states = await this.fleet.loadBalancing(hosts.map((h) => h.id));
      return hosts.map((h) => ({ ...h, loadBalancer: states.get(h.id) ?? null }));
    } catch (error) {
      const message =
        error instanceof AwsError ? error.message : 'could not read the load balancer';
      return hosts.map((h) => ({
        ...h,
        loadBalancer: { group: null, lifecycle: null, targetHealth: null, error: message },
      }));
    }
  }

  history(service: string, environment: string): Promise<VersionRecord[]> {
    return this.fleet.versionHistory(this.scope(environment), service);
  }

  private scope(environment: string) {
    return { project: this.catalog.project, environment };
  }

  private consoleUrl(commandId: string): string {
    const region = this.options.region ?? 'us-east-1';
    return `https://${region}.console.aws.amazon.com/systems-manager/run-command/${commandId}?region=${region}`;
  }
}

/** What marks a deployment's command: its id, which always fits SSM's 100-character comment. */
export function commandMarker(deployment: Pick<Deployment, 'id'>): string {
  return `[${deployment.id}]`;
}

function commandComment(deployment: Pick<Deployment, 'id' | 'kind' | 'service'>): string {
  const marker = commandMarker(deployment);
  return `${`chatops ${deployment.kind} ${deployment.service}`.slice(0, 99 - marker.length)} ${marker}`;
}

/**
 * Where a rollback goes: the newest version that ran there, differs from the current one and is
 * not known bad (rolled back from, or its last deploy failed). Toward safety: a second rollback
 * never returns to the version the first one left.
 */
export function rollbackTarget(
  history: readonly VersionRecord[],
  bad: ReadonlyMap<string, string> = new Map(),
): VersionRecord | null {
  const current = history[0];
  if (!current) return null;
  return (
    history.find(
      (record) => !sameVersion(record.value, current.value) && !badReason(bad, record.value),
    ) ?? null
  );
}

/**
 * A version the member picked for `/rollback to:`: one that ran there (newest entry of it), not
 * the current one. A bad one may be picked on purpose; the confirmation says why it is bad.
 */
export function chosenTarget(
  history: readonly VersionRecord[],
  to: string,
  service: string,
  environment: string,
): VersionRecord {
  const current = history[0];
  if (current && sameVersion(current.value, to))
    throw new Refusal(
      'not-possible',
      `${service} on ${environment} already runs \`${current.value}\``,
    );
  const record = history.find((r) => sameVersion(r.value, to));
  if (!record)
    throw new Refusal(
      'not-possible',
      `\`${to.slice(0, 40)}\` never ran ${service} on ${environment}: pick one of the versions offered`,
    );
  return record;
}

/** Why a version is bad, if it is. */
export function badReason(bad: ReadonlyMap<string, string>, version: string): string | null {
  for (const [value, reason] of bad) if (sameVersion(value, version)) return reason;
  return null;
}

/**
 * One image version however it is written: a tag exactly, or a commit SHA in full or
 * shortened (deploys record the full SHA; a desired version may carry a short one).
 */
export function sameVersion(a: string, b: string): boolean {
  if (a === b) return true;
  const sha = /^[0-9a-f]{7,40}$/;
  return sha.test(a) && sha.test(b) && (a.startsWith(b) || b.startsWith(a));
}

/**
 * The versions a rollback must not return to, from the deployments of one service in one
 * environment (newest first): the version each successful rollback left, and a version whose
 * latest deploy or redeploy failed.
 */
export function badVersionsOf(deployments: readonly Deployment[]): Map<string, string> {
  const bad = new Map<string, string>();
  const decided = new Set<string>();
  for (const d of deployments) {
    if (d.kind === 'rollback' && d.status === 'succeeded' && d.fromVersion)
      bad.set(d.fromVersion, `rolled back from by ${d.requestedBy.name}`);
    if (d.kind !== 'deploy' && d.kind !== 'redeploy') continue;
    const version = d.imageTag ?? (d.kind === 'redeploy' ? d.version : null);
    if (!version || decided.has(version)) continue;
    if (d.status === 'succeeded') decided.add(version);
    if (d.status === 'failed' || d.status === 'timed_out') {
      decided.add(version);
      if (!bad.has(version)) bad.set(version, `its last ${d.kind} ${d.status.replace('_', ' ')}`);
    }
  }
  return bad;
}

/** `badVersions` for FleetExecutor from the deployments the database recorded (newest 200). */
export function recordedBadVersions(repositories: Pick<Repositories, 'deployments'>) {
  return async (service: string, environment: string) =>
    badVersionsOf(await repositories.deployments.listRecent({ service, environment, limit: 200 }));
}

export function noEarlierGood(
  service: string,
  environment: string,
  bad: Map<string, string>,
): string {
  const skipped = [...bad].map(([v, why]) => `\`${v.slice(0, 40)}\` (${why})`).slice(0, 3);
  return `${service} on ${environment} has no earlier good version to roll back to${skipped.length ? `: not ${skipped.join(', ')}` : ''}`;
}

/** One host's invocation as a job of the progress message. */
export function jobOfInvocation(invocation: InvocationResult): JobProgress {
  const finished = AwsFleetRepository.isFinished(invocation.status);
  const conclusions: Record<string, string> = {
    Success: 'success',
    Cancelled: 'cancelled',
    TimedOut: 'timed_out',
  };
  return {
    id: invocation.instanceId,
    name: invocation.instanceId,
    status: finished ? 'completed' : invocation.status === 'InProgress' ? 'in_progress' : 'queued',
    conclusion: finished ? (conclusions[invocation.status] ?? 'failure') : null,
    startedAt: invocation.startedAt,
    completedAt: invocation.finishedAt,
    htmlUrl: null,
    steps: [],
    detail: invocation.status,
    output: invocation.outputTail,
  };
}

/** A digest as people compare them: the algorithm and its first 12 hex digits. */
export function shortDigest(digest: string): string {
  return digest.replace(/^(sha256:[a-f0-9]{12})[a-f0-9]+$/, '$1');
}
