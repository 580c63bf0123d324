import type { FleetRepository, InvocationResult } from '@chatops/aws-fleet';
import { hostsAfterRollout, setDesiredVersionBack } from '@chatops/aws-fleet';
import {
  type Catalog,
  checkImageVersion,
  fleetDocumentOf,
  healthUrlFor,
  RESOURCE_NAME_PATTERN,
  unreachableFleet,
} from '@chatops/domain';

/**
 * The deploy workflow's side of a rollout, through the same mechanism the API uses for
 * /redeploy (`@chatops/aws-fleet`): record the desired version in Parameter Store, send the
 * redeploy document to the environment's hosts by tag and follow it to the end, then check the
 * service's health URL from the catalog.
 */

/** A refusal or failure, with a message fit for the workflow log (no secrets, no ARNs). */
export class RolloutError extends Error {
  constructor(
    message: string,
    /** Extra lines (a host's output) shown under the message. */
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'RolloutError';
  }
}

export interface RolloutTarget {
  project: string;
  service: string;
  environment: string;
  /** The ECR repository Terraform creates for the service (`<project>-<service>`). */
  repository: string;
  parameterName: string;
  document: string;
  maxConcurrency: string;
  maxErrors: string;
  healthUrl: string;
}

/** What the catalog says about deploying `service` to `environment`; refuses unknown names. */
export function rolloutTarget(
  catalog: Catalog,
  service: string,
  environment: string,
): RolloutTarget {
  const problems: string[] = [];
  const definition = catalog.services.find((s) => s.name === service);
  if (!RESOURCE_NAME_PATTERN.test(service) || !definition)
    problems.push(
      `service "${service}" is not in the catalog (${catalog.services.map((s) => s.name).join(', ')})`,
    );
  if (
    !RESOURCE_NAME_PATTERN.test(environment) ||
    !catalog.environments.some((e) => e.name === environment)
  )
    problems.push(
      `environment "${environment}" is not in the catalog (${catalog.environments.map((e) => e.name).join(', ')})`,
    );
  if (!definition || problems.length) throw new RolloutError(problems.join('; '));
  return {
    project: catalog.project,
    service,
    environment,
    repository: `${catalog.project}-${service}`,
    parameterName: `/${catalog.project}/${environment}/${service}/image`,
    document: fleetDocumentOf(catalog),
    maxConcurrency: catalog.fleet.maxConcurrency,
    maxErrors: catalog.fleet.maxErrors,
    healthUrl: healthUrlFor(definition, environment),
  };
}

export function checkedImageTag(input: string): string {
  const check = checkImageVersion(input);
  if (!check.ok) throw new RolloutError(`image tag: ${check.problem}`);
  return check.version;
}

export type Fleet = Pick<
  FleetRepository,
  'listInstances' | 'setDesiredVersion' | 'versionHistory' | 'sendRedeploy' | 'followCommand'
>;
export type Log = (line: string) => void;

export async function setDesiredVersion(
  fleet: Fleet,
  target: RolloutTarget,
  imageTag: string,
  log: Log,
): Promise<number> {
  const version = await fleet.setDesiredVersion(
    { project: target.project, environment: target.environment },
    target.service,
    checkedImageTag(imageTag),
  );
  log(`${target.parameterName} = ${imageTag} (parameter version ${version})`);
  return version;
}

/**
 * Sends the redeploy document to the environment's hosts (rolling, as the catalog says) and
 * waits for every invocation; any host that did not succeed fails the rollout with its output.
 */
export async function redeploy(
  fleet: Fleet,
  target: RolloutTarget,
  imageTag: string,
  options: { log: Log; comment?: string },
): Promise<InvocationResult[]> {
  const tag = checkedImageTag(imageTag);
  const hosts = await fleet.listInstances({
    project: target.project,
    environment: target.environment,
  });
  const unreachable = unreachableFleet(hosts, target);
  if (unreachable) throw new RolloutError(unreachable.message);
  const commandId = await fleet.sendRedeploy({
    project: target.project,
    environment: target.environment,
    service: target.service,
    imageTag: tag,
    documentName: target.document,
    maxConcurrency: target.maxConcurrency,
    maxErrors: target.maxErrors,
    comment: options.comment ?? `chatops deploy ${target.service}`,
  });
  options.log(
    `sent ${target.document} (${target.service} → ${imageTag}) to the ${target.environment} hosts: command ${commandId}`,
  );
  const seen = new Map<string, string>();
  const results = await fleet.followCommand(commandId, (invocations) => {
    for (const invocation of invocations) {
      if (seen.get(invocation.instanceId) === invocation.status) continue;
      seen.set(invocation.instanceId, invocation.status);
      options.log(`${invocation.instanceId}: ${invocation.status}`);
    }
  });
  const failed = results.filter((r) => r.status !== 'Success');
  if (failed.length) {
    // Not left split with the failed version desired: a host that restarts, or one the Auto
    // Scaling Group adds, starts the previous version, as the failed hosts already do.
    const undone = await setDesiredVersionBack(
      fleet,
      { project: target.project, environment: target.environment },
      target.service,
      tag,
    );
    throw new RolloutError(
      `${failed.length} of ${results.length} hosts did not converge: ${failed.map((f) => `${f.instanceId} ${f.status}`).join(', ')}; ${hostsAfterRollout(results, tag, undone?.version ?? null)}${undone ? `; ${undone.message}` : ''}`,
      failed.flatMap((f) => [`--- ${f.instanceId} (${f.status})`, f.outputTail ?? '(no output)']),
    );
  }
  options.log(`${results.length} of ${results.length} hosts run ${target.service} ${imageTag}`);
  return results;
}

export interface SmokeTestOptions {
  log: Log;
  attempts?: number;
  intervalMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** GETs the health URL until it answers 2xx (behind a load balancer, new targets take a moment). */
export async function smokeTest(url: string, options: SmokeTestOptions): Promise<void> {
  const attempts = options.attempts ?? 10;
  const get = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await get(url, {
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        redirect: 'manual',
        headers: { 'user-agent': 'chatops-deploy-smoke-test' },
      });
      last = `HTTP ${response.status}`;
      if (response.ok) {
        options.log(`${url}: ${last} (attempt ${attempt})`);
        return;
      }
    } catch (error) {
      last = (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message;
    }
    options.log(`${url}: ${last} (attempt ${attempt} of ${attempts})`);
    if (attempt < attempts) await sleep(options.intervalMs ?? 6000);
  }
  throw new RolloutError(`${url} is not healthy after ${attempts} attempts (last: ${last})`);
}
