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
import { GithubWebhookIntake, InvalidWebhookPayloadError } from '@chatops/deployments';
import { verifyWebhookSignature } from '@chatops/github';
import type { ApiConfig } from '../../config';
import type { WorkflowMachinery } from '../deployments/workflow-machinery';
import { API_CONFIG, WORKFLOWS } from '../tokens';

/** GitHub's webhooks: the HTTP side (signature, headers, status codes) of GithubWebhookIntake. */
@Controller('v1/github/webhook')
export class GithubWebhookController {
  private readonly intake: GithubWebhookIntake;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(WORKFLOWS) workflows: WorkflowMachinery,
  ) {
    this.intake = workflows.intake;
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
    try {
      return await this.intake.handle(event, deliveryId, request.body);
    } catch (error) {
      if (error instanceof InvalidWebhookPayloadError) {
        throw new BadRequestException({ message: error.message, problems: error.problems });
      }
      throw error;
    }
  }
}
