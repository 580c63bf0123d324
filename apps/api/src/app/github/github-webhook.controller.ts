import {
  BadRequestException,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Post,
  Req,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DeploymentTracker } from '@chatops/deployments';
import { verifyWebhookSignature, workflowRunEvent } from '@chatops/github';
import type { Repositories } from '@chatops/persistence';
import type { ApiConfig } from '../../config';
import { API_CONFIG, REPOSITORIES } from '../tokens';

const SOURCE = 'github';

/**
 * GitHub's webhooks (`workflow_run` now; `workflow_job` with progress messages later). Signed
 * with the shared secret (401 otherwise); a delivery id already handled has no second effect.
 */
@Controller('v1/github/webhook')
export class GithubWebhookController {
  private readonly tracker: DeploymentTracker;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(REPOSITORIES) private readonly repositories: Repositories,
  ) {
    this.tracker = new DeploymentTracker(repositories);
  }

  @Post()
  @HttpCode(202)
  async receive(
    @Req() request: FastifyRequest,
    @Headers('x-github-event') event: string | undefined,
    @Headers('x-github-delivery') deliveryId: string | undefined,
    @Headers('x-hub-signature-256') signature: string | undefined,
  ) {
    const secret = this.config.GITHUB_WEBHOOK_SECRET;
    if (!secret)
      throw new ServiceUnavailableException(
        'GitHub webhooks are not configured (set GITHUB_WEBHOOK_SECRET)',
      );
    if (!request.rawBody || !verifyWebhookSignature(secret, request.rawBody, signature)) {
      throw new UnauthorizedException('Missing or invalid X-Hub-Signature-256');
    }
    if (!event || !deliveryId)
      throw new BadRequestException('X-GitHub-Event and X-GitHub-Delivery are required');
    if (await this.repositories.webhookDeliveries.seen(SOURCE, deliveryId))
      return { delivery: deliveryId, status: 'duplicate' };

    let status: string;
    if (event === 'ping') {
      status = 'pong';
    } else if (event === 'workflow_run') {
      const parsed = workflowRunEvent.safeParse(request.body);
      if (!parsed.success) {
        throw new BadRequestException({
          message: 'Invalid workflow_run payload',
          problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        });
      }
      const result = await this.tracker.applyWorkflowRun(parsed.data);
      status = result.applied
        ? `deployment ${result.deployment.status}`
        : `ignored (${result.reason})`;
    } else {
      status = 'ignored (event not used)';
    }
    // Recorded once handled: a delivery that failed half-way is processed again when GitHub retries.
    await this.repositories.webhookDeliveries.record(SOURCE, deliveryId, event);
    return { delivery: deliveryId, status };
  }
}
