import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  ParseIntPipe,
  Post,
  Query,
  ServiceUnavailableException,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { z } from 'zod';
import { InvalidAlertNotificationError } from '@chatops/alerting';
import { RESOURCE_NAME_PATTERN } from '@chatops/domain';
import { bearerTokenOf, sameSecret } from '../auth/bearer-token';
import { ServiceTokenGuard } from '../auth/service-token.guard';
import { decisionBody } from '../http/decision-body';
import { ZodPipe } from '../http/zod-body.pipe';
import { ALERTING } from '../tokens';
import type { AlertingMachinery } from './alerting-machinery';

export const alertsQuery = z.strictObject({
  environment: z
    .string()
    .regex(RESOURCE_NAME_PATTERN, { message: 'must be a catalog name' })
    .optional(),
});
export const silenceBody = decisionBody.extend({ duration: z.enum(['1h', '4h']) });
const SILENCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Alertmanager's webhook (bearer token) and the alert actions the bot calls (service token). */
@Controller('v1')
export class AlertsController {
  constructor(@Inject(ALERTING) private readonly alerting: AlertingMachinery) {}

  @Post('alerts/alertmanager')
  @HttpCode(202)
  async receive(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
  ) {
    const { webhookToken, intake } = this.alerting;
    if (!webhookToken)
      throw new ServiceUnavailableException(
        'alert intake is not configured: set ALERTMANAGER_WEBHOOK_TOKEN',
      );
    const presented = bearerTokenOf(authorization);
    if (presented === undefined || !sameSecret(presented, webhookToken)) {
      this.alerting.metrics.received('unauthorized');
      throw new UnauthorizedException('a valid bearer token is required (Authorization: Bearer …)');
    }
    if (!intake)
      throw new ServiceUnavailableException(
        'alert delivery is not configured: set DISCORD_TOKEN and ALERTS_CHANNEL_ID',
      );
    try {
      const { id, duplicate, watchdog } = await intake.accept(body);
      return { status: watchdog ? 'watchdog' : duplicate ? 'duplicate' : 'accepted', id };
    } catch (error) {
      if (error instanceof InvalidAlertNotificationError)
        throw new BadRequestException({ message: error.message, problems: error.problems });
      throw error;
    }
  }

  @Get('alerts')
  @UseGuards(ServiceTokenGuard)
  async list(@Query(new ZodPipe(alertsQuery, 'query')) query: z.output<typeof alertsQuery>) {
    return {
      alerts: await this.alerting.actions.listAlerts(query.environment ?? null),
    };
  }

  @Post('alerts/groups/:id/silence')
  @UseGuards(ServiceTokenGuard)
  @HttpCode(201)
  silence(
    @Param('id', ParseIntPipe) id: number,
    @Body(new ZodPipe(silenceBody)) body: z.output<typeof silenceBody>,
  ) {
    return this.alerting.actions.silenceGroup(id, body.duration, body);
  }

  /** Alert messages Discord refused for good, sent again (permission `silence`). */
  @Post('alerts/deliveries/requeue')
  @UseGuards(ServiceTokenGuard)
  @HttpCode(200)
  requeue(@Body(new ZodPipe(decisionBody)) body: z.output<typeof decisionBody>) {
    return this.alerting.actions.requeueRefused(body);
  }

  @Get('silences')
  @UseGuards(ServiceTokenGuard)
  silences() {
    return this.alerting.actions.listSilences();
  }

  @Post('silences/:id/expire')
  @UseGuards(ServiceTokenGuard)
  @HttpCode(200)
  async expire(
    @Param('id') id: string,
    @Body(new ZodPipe(decisionBody)) body: z.output<typeof decisionBody>,
  ) {
    if (!SILENCE_ID.test(id)) throw new BadRequestException('a silence id is a UUID');
    return {
      silence: await this.alerting.actions.expireSilence(id, body),
    };
  }
}
