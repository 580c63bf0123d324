import {
  Controller,
  Get,
  Inject,
  Query,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { z } from 'zod';
import type { FleetStatusReader } from '@chatops/deployments';
import { RESOURCE_NAME_PATTERN } from '@chatops/domain';
import { ServiceTokenGuard } from '../auth/service-token.guard';
import { ZodPipe } from '../http/zod-body.pipe';
import { WORKFLOWS } from '../tokens';
import { refusalsAsHttp } from './deployments.controller';
import type { WorkflowMachinery } from './workflow-machinery';

const name = z.string().regex(RESOURCE_NAME_PATTERN, { message: 'must be a catalog name' });

export const statusQuery = z.strictObject({ environment: name.optional() });
/** A service in an environment: the rollback preview and the versions deployed there. */
export const rollbackQuery = z.strictObject({ service: name, environment: name });

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
    return refusalsAsHttp(() => this.reader().read(query.environment));
  }

  @Get('rollback')
  rollback(@Query(new ZodPipe(rollbackQuery, 'query')) query: z.output<typeof rollbackQuery>) {
    return refusalsAsHttp(() => this.reader().rollbackPreview(query.service, query.environment));
  }

  @Get('versions')
  versions(@Query(new ZodPipe(rollbackQuery, 'query')) query: z.output<typeof rollbackQuery>) {
    return refusalsAsHttp(async () => ({
      versions: await this.reader().versions(query.service, query.environment),
    }));
  }

  private reader(): FleetStatusReader {
    if (!this.workflows.fleet)
      throw new ServiceUnavailableException(
        'the AWS fleet is not configured: set AWS_REGION (and credentials, or an instance role)',
      );
    return this.workflows.fleet.status;
  }
}
