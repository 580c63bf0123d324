import { workflowJobEvent, workflowRunEvent } from '@chatops/github';
import type { Repositories } from '@chatops/persistence';
import type { DeploymentTracker, TrackResult } from './deployment-tracker';
import type { GithubEnvironmentGate } from './github-environment-gate';
import { zodProblems, type SchemaIssue } from '@chatops/domain';

const SOURCE = 'github';

/** A delivery whose payload does not have the shape its event promises. */
export class InvalidWebhookPayloadError extends Error {
  constructor(
    readonly event: string,
    readonly problems: string[],
  ) {
    super(`Invalid ${event} payload`);
    this.name = 'InvalidWebhookPayloadError';
  }
}

/**
 * What a verified GitHub delivery does. A delivery id already handled has no second effect; a
 * delivery is recorded only once handled, so GitHub's redelivery after a failure is processed.
 */
export class GithubWebhookIntake {
  constructor(
    private readonly repositories: Pick<Repositories, 'webhookDeliveries'>,
    private readonly tracker: DeploymentTracker,
    /** Answers the App's deployment protection rule (absent: the event is ignored). */
    private readonly gate: Pick<GithubEnvironmentGate, 'protectionRuleRequested'> | null = null,
  ) {}

  async handle(
    event: string,
    deliveryId: string,
    payload: unknown,
  ): Promise<{ delivery: string; status: string }> {
    if (await this.repositories.webhookDeliveries.seen(SOURCE, deliveryId))
      return { delivery: deliveryId, status: 'duplicate' };
    const status = await this.apply(event, payload);
    await this.repositories.webhookDeliveries.record(SOURCE, deliveryId, event);
    return { delivery: deliveryId, status };
  }

  private async apply(event: string, payload: unknown): Promise<string> {
    switch (event) {
      case 'ping':
        return 'pong';
      case 'workflow_run': {
        const parsed = workflowRunEvent.safeParse(payload);
        if (!parsed.success) throw invalid(event, parsed.error.issues);
        return describe(await this.tracker.applyWorkflowRun(parsed.data));
      }
      case 'workflow_job': {
        const parsed = workflowJobEvent.safeParse(payload);
        if (!parsed.success) throw invalid(event, parsed.error.issues);
        return describe(await this.tracker.applyWorkflowJob(parsed.data));
      }
      case 'deployment_protection_rule':
        return this.gate
          ? this.gate.protectionRuleRequested(payload)
          : 'ignored (no GitHub App answers protection rules here)';
      default:
        return 'ignored (event not used)';
    }
  }
}

function invalid(event: string, issues: readonly SchemaIssue[]): InvalidWebhookPayloadError {
  return new InvalidWebhookPayloadError(event, zodProblems(issues, { whole: '(payload)' }));
}

function describe(result: TrackResult): string {
  return result.applied ? `deployment ${result.deployment.status}` : `ignored (${result.reason})`;
}
