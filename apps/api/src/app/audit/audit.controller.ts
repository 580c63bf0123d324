import { Body, Controller, Get, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AUDIT_OUTCOMES, AuditEvent } from '@chatops/domain';
import type { AuditTrail } from '@chatops/deployments';
import { ServiceTokenGuard } from '../auth/service-token.guard';
import { catalogName, text } from '../http/text';
import { ZodPipe } from '../http/zod-body.pipe';
import { AUDIT_TRAIL } from '../tokens';

export const auditEventBody = z.strictObject({
  actor: z.strictObject({ id: text(64, 1), name: text(100, 1) }),
  action: z
    .string()
    .regex(/^[a-z][a-z0-9_.:-]{0,63}$/, { message: 'must be a lowercase action name' }),
  outcome: z.enum(AUDIT_OUTCOMES),
  service: catalogName.nullish(),
  environment: catalogName.nullish(),
  source: text(200).nullish(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  beforeId: z.coerce.number().int().positive().optional(),
  service: catalogName.optional(),
  environment: catalogName.optional(),
  action: text(64).optional(),
  actorId: z
    .string()
    .regex(/^(\d{1,25}|system:[a-z][a-z0-9-]{0,40})$/, {
      message: 'must be a Discord user id or system:<component>',
    })
    .optional(),
});

/**
 * The audit trail over HTTP. The bot records what it refused before calling the API (a member
 * without the permission, an invalid command); AuditTrail says what a client may record.
 */
@Controller('v1/audit')
@UseGuards(ServiceTokenGuard)
export class AuditController {
  constructor(@Inject(AUDIT_TRAIL) private readonly trail: AuditTrail) {}

  @Post()
  @HttpCode(201)
  append(
    @Body(new ZodPipe(auditEventBody)) body: z.output<typeof auditEventBody>,
  ): Promise<AuditEvent> {
    return this.trail.recordClientRefusal(body);
  }

  @Get()
  async list(@Query(new ZodPipe(auditQuery, 'query')) query: z.output<typeof auditQuery>) {
    return { events: await this.trail.list(query) };
  }
}
