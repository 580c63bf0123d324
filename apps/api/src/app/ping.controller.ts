import { Controller, Get, UseGuards } from '@nestjs/common';
import { ServiceTokenGuard } from './auth/service-token.guard';

/** The bot's /ping measures its round trip to the API (and its token) with this. */
@Controller('v1/ping')
@UseGuards(ServiceTokenGuard)
export class PingController {
  @Get()
  ping() {
    return { pong: true, time: new Date().toISOString() };
  }
}
