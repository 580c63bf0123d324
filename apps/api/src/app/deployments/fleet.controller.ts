import {
  BadRequestException,
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
import type { FleetStatusReader } from '@chatops/deployments';
import { checkImageVersion } from '@chatops/domain';
import { catalogName } from '../http/text';
import { ServiceTokenGuard } from '../auth/service-token.guard';
import { ZodPipe } from '../http/zod-body.pipe';
import { WORKFLOWS } from '../tokens';
import { decisionBody, decisionFields } from '../http/decision-body';
import type { WorkflowMachinery } from './workflow-machinery';

/** A version as the hosts' script and SSM's allowedPattern accept it, with the reason if not. */
const imageVersion = z
  .string()
  .max(1000)
  .superRefine((value, ctx) => {
    const checked = checkImageVersion(value);
    if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.problem });
  });

export const statusQuery = z.strictObject({ environment: catalogName.optional() });
/** A service in an environment: the versions deployed there. */
export const versionsQuery = z.strictObject({ service: catalogName, environment: catalogName });
/** The rollback preview: to `to`, or to the last known good. */
export const rollbackQuery = versionsQuery.extend({ to: imageVersion.optional() });
/** A member asking to roll back: the preview, with a confirmation only they can answer, once. */
export const rollbackConfirmationBody = z.strictObject({
  service: catalogName,
  environment: catalogName,
  to: imageVersion.nullish(),
  ...decisionFields,
});
const CONFIRMATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The hosts for the bot: `/status` and the preview `/rollback` asks the member to confirm.
 * Redeploys and rollbacks themselves are requests to POST /v1/deployments, like every deploy.
 */
@Controller('v1/fleet')
@UseGuards(ServiceTokenGuard)
export class FleetController {
  constructor(@Inject(WORKFLOWS) private readonly workflows: WorkflowMachinery) {}

  @Get('status')
  status(@Query(new ZodPipe(statusQuery, 'query')) query: z.output<typeof statusQuery>) {
    return this.reader().read(query.environment);
  }

  @Get('rollback')
  rollback(@Query(new ZodPipe(rollbackQuery, 'query')) query: z.output<typeof rollbackQuery>) {
    return this.reader().rollbackPreview(query.service, query.environment, query.to);
  }

  @Post('rollback/confirmations')
  @HttpCode(201)
  confirmRollback(
    @Body(new ZodPipe(rollbackConfirmationBody)) body: z.output<typeof rollbackConfirmationBody>,
  ) {
    return this.reader().confirmRollback(
      body.service,
      body.environment,
      body.actor.id,
      body.to ?? null,
    );
  }

  /** Keep: the confirmation is spent and nothing changes (Roll back is a POST /v1/deployments). */
  @Post('rollback/confirmations/:id/keep')
  @HttpCode(200)
  async keep(
    @Param('id') id: string,
    @Body(new ZodPipe(decisionBody)) body: z.output<typeof decisionBody>,
  ) {
    if (!CONFIRMATION_ID.test(id)) throw new BadRequestException('a confirmation id is a UUID');
    await this.workflows.service.keep(id, body);
    return { outcome: 'kept' };
  }

  @Get('versions')
  async versions(
    @Query(new ZodPipe(versionsQuery, 'query')) query: z.output<typeof versionsQuery>,
  ) {
    return {
      versions: await this.reader().versions(query.service, query.environment),
    };
  }

  private reader(): FleetStatusReader {
    if (!this.workflows.fleet)
      throw new ServiceUnavailableException(
        'the AWS fleet is not configured: set AWS_REGION (and credentials, or an instance role)',
      );
    return this.workflows.fleet.status;
  }
}
