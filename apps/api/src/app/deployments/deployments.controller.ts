import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { z } from 'zod';
import { DeploymentService } from '@chatops/deployments';
import { DEPLOYMENT_KINDS, RESOURCE_NAME_PATTERN, Refusal } from '@chatops/domain';
import { ServiceTokenGuard } from '../auth/service-token.guard';
import { text } from '../http/text';
import { decisionBody, decisionFields } from '../http/decision-body';
import { ZodPipe } from '../http/zod-body.pipe';
import { WORKFLOWS } from '../tokens';
import type { WorkflowMachinery } from './workflow-machinery';

/** Loose strings here: the service checks names, refs and confirmation and says what is wrong. */
export const deploymentRequestBody = z.strictObject({
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, { message: 'must be 1–100 letters, digits, _ or -' }),
  kind: z.enum(DEPLOYMENT_KINDS),
  service: text(200).nullish(),
  environment: text(200).nullish(),
  ref: text(1000).nullish(),
  /** Checked by the service (checkImageVersion), so a hostile one is refused with its reason. */
  version: text(1000).nullish(),
  rollbackFrom: z.number().int().min(1).nullish(),
  confirmationId: z.string().uuid({ message: 'must be a confirmation id (a UUID)' }).nullish(),
  confirmation: text(200).nullish(),
  /** `/promote`: checked against the catalog by the service. */
  promoteFrom: text(200).nullish(),
  channelId: z
    .string()
    .regex(/^\d{1,25}$/)
    .nullish(),
  ...decisionFields,
});

export const listQuery = z.strictObject({
  service: z.string().regex(RESOURCE_NAME_PATTERN).optional(),
  environment: z.string().regex(RESOURCE_NAME_PATTERN).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

export const refsQuery = z.strictObject({ q: text(100).default('') });

/**
 * Deploys, infra runs and AMI builds over HTTP for the bot. Every rule lives in
 * DeploymentService; this maps its refusals to status codes with the reason in the body.
 */
@Controller('v1')
@UseGuards(ServiceTokenGuard)
export class DeploymentsController {
  constructor(@Inject(WORKFLOWS) private readonly workflows: WorkflowMachinery) {}

  @Post('deployments')
  @HttpCode(201)
  request(@Body(new ZodPipe(deploymentRequestBody)) body: z.output<typeof deploymentRequestBody>) {
    return this.service().request(body);
  }

  @Get('deployments')
  async list(@Query(new ZodPipe(listQuery, 'query')) query: z.output<typeof listQuery>) {
    return { deployments: await this.service().list(query) };
  }

  @Get('deployments/:id')
  get(@Param('id') id: string) {
    return this.service().find(id);
  }

  @Post('deployments/:id/approve')
  @HttpCode(200)
  approve(
    @Param('id') id: string,
    @Body(new ZodPipe(decisionBody)) body: z.output<typeof decisionBody>,
  ) {
    return this.service().approve(id, body);
  }

  @Post('deployments/:id/reject')
  @HttpCode(200)
  async reject(
    @Param('id') id: string,
    @Body(new ZodPipe(decisionBody)) body: z.output<typeof decisionBody>,
  ) {
    return { deployment: await this.service().reject(id, body) };
  }

  @Post('deployments/:id/cancel')
  @HttpCode(200)
  cancel(
    @Param('id') id: string,
    @Body(new ZodPipe(decisionBody)) body: z.output<typeof decisionBody>,
  ) {
    return this.service().cancel(id, body);
  }

  @Get('github/refs')
  async refs(@Query(new ZodPipe(refsQuery, 'query')) query: z.output<typeof refsQuery>) {
    const refs = this.workflows.refs;
    if (!refs) throw notConfigured();
    try {
      return { refs: await refs.suggest(query.q) };
    } catch (error) {
      throw new Refusal('github', (error as Error).message);
    }
  }

  private service(): DeploymentService {
    return this.workflows.service;
  }
}

function notConfigured(): ServiceUnavailableException {
  return new ServiceUnavailableException(
    'GitHub is not configured: set GITHUB_TOKEN or the GITHUB_APP_* variables',
  );
}
