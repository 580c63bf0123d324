import { Body, Controller, Get, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { MAX_LOCK_MINUTES } from '@chatops/deployments';
import { ServiceTokenGuard } from '../auth/service-token.guard';
import { catalogName, text } from '../http/text';
import { ZodPipe } from '../http/zod-body.pipe';
import { WORKFLOWS } from '../tokens';
import { decisionFields } from '../http/decision-body';
import type { WorkflowMachinery } from './workflow-machinery';

export const lockBody = z.strictObject({
  /** A catalog service, or `all` of the environment. */
  service: catalogName,
  environment: catalogName,
  reason: text(200, 1),
  durationMinutes: z.number().int().min(1).max(MAX_LOCK_MINUTES).nullish(),
  ...decisionFields,
});
export const unlockBody = lockBody.omit({ durationMinutes: true });
export const locksQuery = z.strictObject({ environment: catalogName.optional() });

/** `/lock` and `/unlock` over HTTP; every rule (who may, what it holds) is in HumanLocks. */
@Controller('v1/locks')
@UseGuards(ServiceTokenGuard)
export class LocksController {
  constructor(@Inject(WORKFLOWS) private readonly workflows: WorkflowMachinery) {}

  @Post()
  @HttpCode(201)
  lock(@Body(new ZodPipe(lockBody)) body: z.output<typeof lockBody>) {
    return this.workflows.service.locks.lock(body);
  }

  @Post('release')
  @HttpCode(200)
  async unlock(@Body(new ZodPipe(unlockBody)) body: z.output<typeof unlockBody>) {
    return {
      released: await this.workflows.service.locks.unlock(body),
    };
  }

  @Get()
  async list(@Query(new ZodPipe(locksQuery, 'query')) query: z.output<typeof locksQuery>) {
    return {
      locks: await this.workflows.service.locks.inForce(query.environment),
    };
  }
}
