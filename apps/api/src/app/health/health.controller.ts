import { Controller, Get, Inject } from '@nestjs/common';
import {
  DiskHealthIndicator,
  HealthCheck,
  HealthCheckService,
  MemoryHealthIndicator,
} from '@nestjs/terminus';
import type { ApiConfig } from '../../config';
import { API_CONFIG } from '../tokens';
import { DatabaseHealthIndicator } from './database.health';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly health: HealthCheckService,
    private readonly memory: MemoryHealthIndicator,
    private readonly disk: DiskHealthIndicator,
    private readonly database: DatabaseHealthIndicator,
  ) {}

  /** The process answers: nothing else is checked, so a slow database never restarts it. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Ready to serve: database reachable, heap under its limit, disk not full. 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.database.check('database'),
      () => this.memory.checkHeap('memory_heap', this.config.HEALTH_HEAP_LIMIT_MB * 1024 * 1024),
      () =>
        this.disk.checkStorage('disk', {
          path: this.config.HEALTH_DISK_PATH,
          thresholdPercent: this.config.HEALTH_DISK_THRESHOLD,
        }),
    ]);
  }
}
