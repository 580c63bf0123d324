import { Catalog, findEnvironment } from '@chatops/domain';
import { GithubError, type GithubRepository } from '@chatops/github';
import type { Deployment, Repositories } from '@chatops/persistence';

/** The GitHub environment a deployment's gated job deploys to (see the workflows). */
export function githubEnvironmentOf(deployment: Pick<Deployment, 'kind' | 'environment'>): string {
  if (deployment.kind === 'ami-build') return 'ami';
  if (deployment.kind.startsWith('infra-')) return `infra-${deployment.environment}`;
  return deployment.environment;
}

export interface GateOptions {
  /** GitHub as a required reviewer (a user's token): for `reviewer-token` environments. */
  reviewer?: Pick<GithubRepository, 'pendingDeployments' | 'approvePendingDeployments'> | null;
  /** GitHub as the App whose protection rule guards an environment; also reads runs. */
  app?: Pick<GithubRepository, 'reviewProtectionRule' | 'getRun'> | null;
  log?: { warn(obj: object, msg: string): void };
}

type Repos = Pick<Repositories, 'deployments' | 'approvals' | 'audit'>;

/**
 * One approval: where a GitHub environment also protects a deploy, the approval given in Discord
 * (by the rules of the catalog: approvers other than the requester, freezes, locks) is carried to
 * GitHub, per environment, either as a required reviewer (`pending_deployments`) or as the App's
 * custom deployment protection rule, naming the Discord approvers. A run nobody asked for through
 * ChatOps is refused by the rule; GitHub's own reviewers still decide where `none` is set.
 */
export class GithubEnvironmentGate {
  constructor(
    private readonly catalog: Catalog,
    private readonly repositories: Repos,
    private readonly options: GateOptions,
  ) {}

  /** A run of ours waits on its environment: approve it on GitHub if Discord approved it. */
  async runWaiting(deployment: Deployment): Promise<string> {
    const mode = findEnvironment(this.catalog, deployment.environment)?.githubApproval ?? 'none';
    const reviewer = this.options.reviewer;
    if (mode !== 'reviewer-token' || !reviewer || !deployment.runId) return 'not ours to approve';
    const approvers = await this.discordApprovers(deployment);
    if (!approvers) return 'not approved in Discord';
    const environment = githubEnvironmentOf(deployment);
    try {
      const pending = (await reviewer.pendingDeployments(deployment.runId)).filter(
        (p) => p.environment === environment,
      );
      if (!pending.length) return 'nothing pending';
      if (!pending.every((p) => p.canApprove)) {
        await this.record(deployment, approvers, 'failed', {
          reason: `the reviewer token may not approve the GitHub environment ${environment}`,
        });
        return 'cannot approve';
      }
      await reviewer.approvePendingDeployments(
        deployment.runId,
        pending.map((p) => p.environmentId),
        approvalComment(deployment, approvers),
      );
    } catch (error) {
      // Another replica answered it between our read and our approval.
      if (error instanceof GithubError && error.status === 422) return 'already answered';
      this.options.log?.warn({ err: error, deploymentId: deployment.id }, 'GitHub approval failed');
      await this.record(deployment, approvers, 'failed', { error: (error as Error).message });
      return 'failed';
    }
    await this.record(deployment, approvers, 'succeeded', { via: 'pending_deployments' });
    return 'approved on GitHub';
  }

  /**
   * GitHub asks our App (`deployment_protection_rule`) whether a run may deploy to an
   * environment: yes for a ChatOps deployment that passed its Discord rules, no otherwise.
   */
  async protectionRuleRequested(payload: unknown): Promise<string> {
    const app = this.options.app;
    const { environment, deployment_callback_url: callback } = (payload ?? {}) as {
      environment?: unknown;
      deployment_callback_url?: unknown;
    };
    const runId =
      typeof callback === 'string'
        ? /\/actions\/runs\/(\d{1,20})\/deployment_protection_rule$/.exec(callback)?.[1]
        : undefined;
    if (!app || typeof environment !== 'string' || !runId) return 'ignored (not a rule we answer)';
    const deployment = await this.deploymentOfRun(app, runId);
    const ours =
      deployment &&
      githubEnvironmentOf(deployment) === environment &&
      findEnvironment(this.catalog, deployment.environment)?.githubApproval === 'protection-rule';
    if (!deployment || !ours) {
      await app.reviewProtectionRule(
        runId,
        environment,
        'rejected',
        'Not requested through ChatOps: deploy with /deploy in Discord.',
      );
      await this.repositories.audit.append({
        actor: { id: 'system:github-gate', name: 'ChatOps' },
        action: 'github.protection-rule',
        outcome: 'rejected',
        service: deployment?.service ?? null,
        environment: deployment?.environment ?? null,
        source: `github:run/${runId}`,
        detail: { runId, githubEnvironment: environment, reason: 'not a ChatOps deployment' },
      });
      return 'rejected (not a ChatOps deployment)';
    }
    const approvers = (await this.discordApprovers(deployment)) ?? [];
    if (deployment.approvalsRequired > 0 && !approvers.length) return 'not approved in Discord';
    await app.reviewProtectionRule(
      runId,
      environment,
      'approved',
      approvalComment(deployment, approvers),
    );
    await this.record(deployment, approvers, 'succeeded', { via: 'deployment_protection_rule' });
    return 'approved on GitHub';
  }

  private async deploymentOfRun(
    app: NonNullable<GateOptions['app']>,
    runId: string,
  ): Promise<Deployment | null> {
    const linked = await this.repositories.deployments.findByRunId(runId);
    if (linked) return linked;
    // Its dispatch answer may not be recorded yet: the run-name carries the request id.
    const run = await app.getRun(runId);
    const requestId = /\[([A-Za-z0-9_-]{1,100})\]\s*$/.exec(run.displayTitle ?? '')?.[1];
    return requestId ? this.repositories.deployments.findByRequestId(requestId) : null;
  }

  /** Who approved it in Discord (all it needed); null when it needed approvals it lacks. */
  private async discordApprovers(
    deployment: Deployment,
  ): Promise<{ id: string; name: string }[] | null> {
    const approvals = await this.repositories.approvals.list(deployment.id);
    if (approvals.length < deployment.approvalsRequired) return null;
    if (deployment.approvalsRequired === 0) return [];
    return approvals.map((a) => a.approver);
  }

  private record(
    deployment: Deployment,
    approvers: { id: string; name: string }[],
    outcome: 'succeeded' | 'failed',
    detail: Record<string, unknown>,
  ) {
    return this.repositories.audit.append({
      // The Discord approver who released it is who approved on GitHub too.
      actor: approvers[approvers.length - 1] ?? { id: 'system:github-gate', name: 'ChatOps' },
      action: `${deployment.kind}.github-approval`,
      outcome,
      service: deployment.service,
      environment: deployment.environment,
      source: `github:run/${deployment.runId ?? '?'}`,
      detail: {
        deploymentId: deployment.id,
        githubEnvironment: githubEnvironmentOf(deployment),
        approvedBy: approvers,
        ...detail,
      },
    });
  }
}

function approvalComment(deployment: Deployment, approvers: { name: string }[]): string {
  const who = approvers.length
    ? `Approved in Discord by ${approvers.map((a) => a.name.replace(/[^\w .-]/g, '')).join(', ')}`
    : `No approval needed in Discord for ${deployment.environment}`;
  return `${who} (ChatOps deployment ${deployment.id}, requested by ${deployment.requestedBy.name.replace(/[^\w .-]/g, '')}).`;
}
