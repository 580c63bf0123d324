import { canTransition, DeploymentStatus, isTerminal } from '@chatops/domain';
import { deploymentStatusFor, WorkflowRunEvent } from '@chatops/github';
import type { Deployment, Repositories } from '@chatops/persistence';
import { StaleDeploymentError } from '@chatops/persistence';

export type TrackResult =
  | { applied: true; deployment: Deployment }
  | { applied: false; reason: 'unknown-run' | 'no-change' | 'out-of-order' | 'raced' };

export const GITHUB_ACTOR = { id: 'system:github', name: 'GitHub Actions' };

/**
 * Moves deployments along as their workflow runs progress (from webhooks now, from polling
 * later). An end state releases the environment lock the deployment held and is audited.
 * Events arriving out of order or twice change nothing.
 */
export class DeploymentTracker {
  constructor(
    private readonly repositories: Pick<Repositories, 'deployments' | 'locks' | 'audit'>,
  ) {}

  async applyWorkflowRun(event: WorkflowRunEvent): Promise<TrackResult> {
    const run = event.workflow_run;
    const deployment = await this.repositories.deployments.findByRunId(String(run.id));
    if (!deployment) return { applied: false, reason: 'unknown-run' };
    const next = deploymentStatusFor(run);
    if (next === null || next === deployment.status) return { applied: false, reason: 'no-change' };
    if (!canTransition(deployment.status, next)) return { applied: false, reason: 'out-of-order' };
    let updated: Deployment;
    try {
      updated = await this.repositories.deployments.transition(
        deployment.id,
        next,
        { runUrl: run.html_url },
        deployment.status,
      );
    } catch (error) {
      if (error instanceof StaleDeploymentError) return { applied: false, reason: 'raced' };
      throw error;
    }
    if (isTerminal(next)) await this.finish(updated, next);
    return { applied: true, deployment: updated };
  }

  private async finish(deployment: Deployment, status: DeploymentStatus): Promise<void> {
    await this.repositories.locks.release(
      { environment: deployment.environment, service: deployment.service },
      deployment.id,
    );
    await this.repositories.audit.append({
      actor: GITHUB_ACTOR,
      action: deployment.kind,
      outcome: status === 'succeeded' ? 'succeeded' : 'failed',
      service: deployment.service,
      environment: deployment.environment,
      source: deployment.runId ? `github:run/${deployment.runId}` : null,
      detail: {
        deploymentId: deployment.id,
        status,
        runUrl: deployment.runUrl,
        ref: deployment.ref,
      },
    });
  }
}
