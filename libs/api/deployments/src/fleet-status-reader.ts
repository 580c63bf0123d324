import {
  activeFreeze,
  Catalog,
  describeFreeze,
  EnvironmentStatus,
  findEnvironment,
  findService,
  FleetStatus,
  HostVersion,
  isFleetKind,
  isTerminal,
  RollbackPreview,
  ServiceStatus,
  VersionChoice,
  Refusal,
  type Clock,
  systemClock,
} from '@chatops/domain';
import type { VersionRecord } from '@chatops/aws-fleet';
import type { Deployment, Repositories } from '@chatops/persistence';
import { externalRefusal } from './deployment.service';
import {
  badReason,
  badVersionsOf,
  FleetExecutor,
  noEarlierGood,
  sameVersion,
} from './fleet-executor';

/** How many recent deployments per service are read to work out what each host runs. */
const HISTORY_DEPTH = 50;

/**
 * `/status`: the hosts of each environment (EC2 and the SSM agent), and per service the desired
 * version (Parameter Store) against what each host runs, as the platform's redeploys reported
 * it, with the last deploy. One environment AWS cannot read shows its error; the others still show.
 */
/** How long `/rollback`'s Roll back / Keep stay answerable. */
export const CONFIRMATION_TTL_MS = 10 * 60_000;

export class FleetStatusReader {
  constructor(
    private readonly catalog: Catalog,
    private readonly repositories: Pick<
      Repositories,
      'deployments' | 'confirmations' | 'humanLocks'
    >,
    private readonly fleet: FleetExecutor,
    private readonly clock: Clock = systemClock,
  ) {}

  async read(environment?: string): Promise<FleetStatus> {
    if (environment !== undefined && !findEnvironment(this.catalog, environment))
      throw new Refusal(
        'invalid',
        `unknown environment \`${environment}\` (known: ${this.catalog.environments.map((e) => e.name).join(', ')})`,
      );
    const names = environment ? [environment] : this.catalog.environments.map((e) => e.name);
    return {
      environments: await Promise.all(names.map((name) => this.environment(name))),
      at: this.clock.now(),
    };
  }

  /**
   * Where `/rollback` would go (`to`, or the last known good) from where, each with who deployed
   * it and when (GitHub deploys count, by the image they recorded), and why the target is bad
   * if the member picked a bad one.
   */
  async rollbackPreview(
    service: string,
    environment: string,
    to?: string | null,
  ): Promise<RollbackPreview> {
    this.checkNames(service, environment);
    const [{ current, target, bad }, deployments] = await Promise.all([
      this.fleet.rollbackPreview(service, environment, to).catch((error: unknown) => {
        throw externalRefusal(error);
      }),
      this.recentDeployments(service, environment),
    ]);
    if (!current || !target)
      throw new Refusal('not-possible', noEarlierGood(service, environment, bad));
    const view = (r: VersionRecord) => ({
      value: r.value,
      version: r.version,
      modifiedAt: r.modifiedAt,
      deployedBy: deployedBy(deployments, r.value),
      bad: badReason(bad, r.value),
    });
    return { current: view(current), target: view(target) };
  }

  private recentDeployments(service: string, environment: string): Promise<Deployment[]> {
    return this.repositories.deployments.listRecent({ service, environment, limit: 200 });
  }

  /**
   * The preview, and a confirmation for `memberId` to answer once (Roll back or Keep) within
   * `ttlMs`: the rollback it confirms is aimed at what they saw, and cannot be pressed twice.
   */
  async confirmRollback(
    service: string,
    environment: string,
    memberId: string,
    to: string | null = null,
    ttlMs = CONFIRMATION_TTL_MS,
  ): Promise<RollbackPreview> {
    const preview = await this.rollbackPreview(service, environment, to);
    const confirmation = await this.repositories.confirmations.create({
      kind: 'rollback',
      memberId,
      payload: { service, environment, from: preview.current.version, to: preview.target.value },
      ttlMs,
    });
    return { ...preview, confirmationId: confirmation.id, expiresAt: confirmation.expiresAt };
  }

  /**
   * Versions deployed before, newest first, each once, with who deployed each and whether a
   * rollback should avoid it (for `/redeploy version:` and `/rollback to:` choices).
   */
  async versions(service: string, environment: string): Promise<VersionChoice[]> {
    this.checkNames(service, environment);
    const [history, deployments] = await Promise.all([
      this.fleet.history(service, environment).catch((error: unknown) => {
        throw externalRefusal(error);
      }),
      this.recentDeployments(service, environment),
    ]);
    const bad = badVersionsOf(deployments);
    const seen = new Set<string>();
    return history
      .filter((r) => !seen.has(r.value) && seen.add(r.value))
      .slice(0, 25)
      .map((r, index) => ({
        value: r.value,
        modifiedAt: r.modifiedAt,
        current: index === 0,
        deployedBy: deployedBy(deployments, r.value),
        bad: badReason(bad, r.value),
      }));
  }

  private checkNames(service: string, environment: string): void {
    const problems = [
      ...(findService(this.catalog, service) ? [] : [`unknown service \`${service}\``]),
      ...(findEnvironment(this.catalog, environment)
        ? []
        : [`unknown environment \`${environment}\``]),
    ];
    if (problems.length) throw new Refusal('invalid', problems.join('; '), problems);
  }

  private async environment(name: string): Promise<EnvironmentStatus> {
    try {
      const [hosts, services] = await Promise.all([
        this.fleet.hosts(name),
        Promise.all(
          this.catalog.services.map(async (s) => ({
            name: s.name,
            history: await this.fleet.history(s.name, name),
            deployments: await this.repositories.deployments.listRecent({
              service: s.name,
              environment: name,
              limit: HISTORY_DEPTH,
            }),
          })),
        ),
      ]);
      return {
        name,
        hosts,
        services: services.map(({ name: service, history, deployments }) => {
          const desired = history[0] ?? null;
          const last = deployments[0];
          return {
            name: service,
            desired: desired
              ? { value: desired.value, version: desired.version, modifiedAt: desired.modifiedAt }
              : null,
            running: hosts.map((h) => runningOn(h, deployments, history)),
            lastDeploy: last
              ? {
                  kind: last.kind,
                  ref: last.ref,
                  status: last.status,
                  requestedBy: last.requestedBy.name,
                  cancelledBy:
                    last.status === 'cancelled' ? (last.cancelRequestedBy?.name ?? null) : null,
                  at: last.finishedAt ?? last.createdAt,
                }
              : null,
          } satisfies ServiceStatus;
        }),
        error: null,
        freeze: this.freezeIn(name),
        locks: await this.locksIn(name),
      };
    } catch (error) {
      return {
        name,
        hosts: [],
        services: [],
        error: (error as Error).message,
        freeze: this.freezeIn(name),
        locks: await this.locksIn(name),
      };
    }
  }

  private freezeIn(environment: string): string | null {
    const freeze = activeFreeze(
      findEnvironment(this.catalog, environment)?.freezes ?? [],
      this.clock.now(),
    );
    return freeze ? describeFreeze(freeze) : null;
  }

  private async locksIn(environment: string): Promise<EnvironmentStatus['locks']> {
    return (await this.repositories.humanLocks.inForce(environment)).map((lock) => ({
      service: lock.service,
      holder: lock.holder.name,
      reason: lock.reason,
      acquiredAt: lock.acquiredAt,
      expiresAt: lock.expiresAt,
    }));
  }
}

/**
 * What a host runs, from the newest ended deployment since the host booted that tells: a
 * redeploy that succeeded on it (its version), one that failed on it (the host went back to what
 * it ran before: keep looking), or a successful workflow deploy (which converges every host to
 * the desired version). With none, the host converged to the desired version at boot.
 */
function runningOn(
  host: { id: string; launchedAt: string | null },
  newestFirst: readonly Deployment[],
  history: readonly VersionRecord[],
): HostVersion {
  const desired = history[0]?.value ?? null;
  const instanceId = host.id;
  const bootedAt = host.launchedAt ? Date.parse(host.launchedAt) : 0;
  let health: string | null = null;
  for (const deployment of newestFirst) {
    if (!isTerminal(deployment.status)) continue;
    if ((deployment.finishedAt ?? deployment.createdAt) < bootedAt) break;
    if (!isFleetKind(deployment.kind)) {
      if (deployment.kind === 'deploy' && deployment.status === 'succeeded')
        return { instanceId, version: desired, health: health ?? 'healthy' };
      continue;
    }
    const job = deployment.progress.find((j) => j.id === instanceId);
    if (!job) continue;
    if (job.conclusion === 'success')
      return {
        instanceId,
        version: deployment.version ?? deployment.ref,
        health: health ?? 'healthy',
      };
    health ??=
      job.detail === 'Failed' ? 'rolled back' : (job.detail ?? job.conclusion ?? 'unknown');
  }
  // The boot unit redeployed the version desired then (deploy/host/bin/converge-on-boot.sh).
  const atBoot = history.find((r) => !r.modifiedAt || Date.parse(r.modifiedAt) <= bootedAt);
  if (bootedAt && atBoot)
    return { instanceId, version: atBoot.value, health: health ?? 'converged at boot' };
  return { instanceId, version: null, health: health ?? 'unknown' };
}

/**
 * Who put `version` on the hosts: the newest deploy, redeploy or rollback that succeeded with it
 * (a workflow deploy by the image it recorded), and when it ended. Null when no record says.
 */
export function deployedBy(
  newestFirst: readonly Deployment[],
  version: string,
): { name: string; at: number } | null {
  for (const d of newestFirst) {
    if (d.status !== 'succeeded') continue;
    const ran = isFleetKind(d.kind)
      ? (d.version ?? d.ref)
      : d.kind === 'deploy'
        ? d.imageTag
        : null;
    if (ran && sameVersion(ran, version))
      return { name: d.requestedBy.name, at: d.finishedAt ?? d.updatedAt };
  }
  return null;
}
