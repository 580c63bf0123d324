import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { DELIVERY_DAYS } from '@chatops/domain';
import { catalogName } from '../http/text';
import { ServiceTokenGuard } from '../auth/service-token.guard';
import { ZodPipe } from '../http/zod-body.pipe';
import { WORKFLOWS } from '../tokens';
import type { WorkflowMachinery } from './workflow-machinery';

export const deliveryQuery = z.strictObject({
  service: catalogName.optional(),
  environment: catalogName.optional(),
  days: z.coerce.number().int().min(1).max(DELIVERY_DAYS.max).optional(),
});

/** The delivery metrics (DORA) of the deployment record, for `/dora`. */
@Controller('v1/delivery')
@UseGuards(ServiceTokenGuard)
export class DeliveryController {
  constructor(@Inject(WORKFLOWS) private readonly workflows: WorkflowMachinery) {}

  @Get('metrics')
  metrics(@Query(new ZodPipe(deliveryQuery, 'query')) query: z.output<typeof deliveryQuery>) {
    return this.workflows.delivery.read(query);
  }
}
