import { workflowRunEvent } from '@chatops/github';
import type { Repositories } from '@chatops/persistence';
import { DeploymentTracker } from './deployment-tracker';

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
  private readonly tracker: DeploymentTracker;

  constructor(
    private readonly repositories: Pick<
      Repositories,
      'deployments' | 'locks' | 'audit' | 'webhookDeliveries'
    >,
  ) {
    this.tracker = new DeploymentTracker(repositories);
  }

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
        if (!parsed.success) {
          throw new InvalidWebhookPayloadError(
            event,
            parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
          );
        }
        const result = await this.tracker.applyWorkflowRun(parsed.data);
        return result.applied
          ? `deployment ${result.deployment.status}`
          : `ignored (${result.reason})`;
      }
      default:
        return 'ignored (event not used)';
    }
  }
}
