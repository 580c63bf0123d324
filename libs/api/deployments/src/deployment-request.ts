import {
  ANY_ENVIRONMENT,
  Catalog,
  checkGitRef,
  checkImageVersion,
  DeploymentKind,
  DeploymentRequest,
  findEnvironment,
  findService,
  fleetDocumentOf,
  Permission,
} from '@chatops/domain';

export type { DeploymentRequest } from '@chatops/domain';

/** Everything the machinery needs to run one request, derived from the catalog. */
export interface DeploymentPlan {
  kind: DeploymentKind;
  service: string;
  environment: string;
  ref: string;
  workflow: string;
  inputs: Record<string, string>;
  permission: Permission;
  /** Environment the permission is checked on; null: a grant on any environment. */
  permissionEnvironment: string | null;
  approvalsRequired: number;
  approvalTimeoutMs: number;
  /** Whether `ref` must be checked against the repository (user-supplied). */
  checkRef: boolean;
  /** A promotion: the environment whose running version this redeploy puts here. */
  promoteFrom: string | null;
  /**
   * Who carries it out: a GitHub workflow, or the SSM redeploy document on the hosts (then
   * `workflow` is the document and `ref` the image version, empty until resolved).
   */
  executor: 'github' | 'ssm';
}

/** Infra and AMI workflows run from the repository's default branch. */
export const DEFAULT_BRANCH = 'main';
const INFRA_SERVICE = 'infra';
const AMI_SERVICE = 'ami';

/**
 * Checks a request against the catalog and the ref rules before anything is called, listing
 * every problem; returns the plan to run it otherwise.
 */
export function planRequest(
  catalog: Catalog,
  request: DeploymentRequest,
): { plan: DeploymentPlan; problems: [] } | { plan: null; problems: string[] } {
  const problems: string[] = [];
  const kind = request.kind;
  const environmentName = request.environment ?? '';
  const environment = kind === 'ami-build' ? undefined : findEnvironment(catalog, environmentName);
  if (kind !== 'ami-build' && !environment) {
    problems.push(
      `unknown environment \`${clip(environmentName)}\` (known: ${catalog.environments.map((e) => e.name).join(', ')})`,
    );
  }
  let service = '';
  let ref = DEFAULT_BRANCH;
  let workflow = '';
  let permission: Permission = 'deploy';
  let approvalsRequired = environment?.requiresApproval ? 1 : 0;
  let inputs: Record<string, string> = {};
  let promoteFrom: string | null = null;
  const requestId = request.requestId;

  switch (kind) {
    case 'deploy': {
      const definition = findService(catalog, request.service ?? '');
      if (!definition)
        problems.push(
          `unknown service \`${clip(request.service ?? '')}\` (known: ${catalog.services.map((s) => s.name).join(', ')})`,
        );
      const checked = checkGitRef(request.ref ?? '');
      if (!checked.ok) problems.push(`invalid ref: ${checked.problem}`);
      service = definition?.name ?? '';
      ref = request.ref ?? '';
      workflow = definition?.workflow ?? '';
      inputs = { service, environment: environmentName, ref, request_id: requestId };
      break;
    }
    case 'redeploy':
    case 'rollback': {
      const definition = findService(catalog, request.service ?? '');
      if (!definition)
        problems.push(
          `unknown service \`${clip(request.service ?? '')}\` (known: ${catalog.services.map((s) => s.name).join(', ')})`,
        );
      service = definition?.name ?? '';
      permission = kind;
      workflow = fleetDocumentOf(catalog);
      // The version is resolved from Parameter Store when not given (and always for a rollback).
      ref = kind === 'redeploy' ? (request.version ?? '') : '';
      if (kind === 'redeploy' && request.promoteFrom != null) {
        // A promotion puts on an environment what runs on another: it is a new version there,
        // so it needs what a deploy needs (and, where deploys do, approval).
        const from = findEnvironment(catalog, request.promoteFrom);
        if (!from)
          problems.push(
            `unknown environment to promote from \`${clip(request.promoteFrom)}\` (known: ${catalog.environments.map((e) => e.name).join(', ')})`,
          );
        else if (from.name === environmentName)
          problems.push(
            `a promotion goes from one environment to another, not to \`${clip(environmentName)}\` itself`,
          );
        if (request.version)
          problems.push(
            'a promotion takes the version that runs where it comes from: give no version',
          );
        permission = 'deploy';
        promoteFrom = from?.name ?? null;
      }
      // A promotion the member confirmed (going back) carries its version: still a deploy's rule.
      if (kind === 'redeploy' && request.promotedFrom) permission = 'deploy';
      if (ref) {
        const checked = checkImageVersion(ref);
        if (!checked.ok) problems.push(`invalid version: ${checked.problem}`);
      }
      // Rolling back returns to a version that already ran there: no approval, to be fast in an
      // incident (the \`rollback\` permission and a confirmation guard it).
      if (kind === 'rollback') approvalsRequired = 0;
      break;
    }
    case 'infra-plan':
    case 'infra-apply':
    case 'infra-destroy': {
      service = INFRA_SERVICE;
      workflow = catalog.workflows.infra;
      permission = 'infra';
      const action = kind.slice('infra-'.length);
      // An apply names the plan run it applies once the API has found the reviewed plan.
      inputs = { action, environment: environmentName, request_id: requestId, plan_run_id: '' };
      if (kind === 'infra-plan') approvalsRequired = 0;
      if (kind === 'infra-destroy') {
        // Destroying an environment always takes two people besides the requester.
        approvalsRequired = 2;
        if (request.confirmation !== environmentName)
          problems.push(
            `to destroy \`${clip(environmentName)}\`, type the environment name exactly in the confirmation`,
          );
      }
      break;
    }
    case 'ami-build':
      service = AMI_SERVICE;
      workflow = catalog.workflows.ami;
      permission = 'ami';
      approvalsRequired = 0;
      inputs = { request_id: requestId };
      break;
    default:
      problems.push(`"${String(kind)}" is not a kind of deployment`);
  }
  if (request.promoteFrom != null && kind !== 'redeploy')
    problems.push('only a redeploy promotes what runs in another environment');
  if (problems.length) return { plan: null, problems };
  return {
    plan: {
      kind,
      service,
      environment: kind === 'ami-build' ? ANY_ENVIRONMENT : environmentName,
      ref,
      workflow,
      inputs,
      permission,
      permissionEnvironment: kind === 'ami-build' ? null : environmentName,
      approvalsRequired,
      approvalTimeoutMs: (environment?.approvalTimeoutMinutes ?? 30) * 60_000,
      checkRef: kind === 'deploy',
      promoteFrom,
      executor: kind === 'redeploy' || kind === 'rollback' ? 'ssm' : 'github',
    },
    problems: [],
  };
}

/**
 * User input echoed in a message (inside inline code, so nothing in it pings or formats) is cut
 * short and keeps printable ASCII only.
 */
function clip(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]|`/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}
