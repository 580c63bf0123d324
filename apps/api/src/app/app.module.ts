import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Catalog } from '@chatops/domain';
import type { DatabaseHandle, Repositories } from '@chatops/persistence';
import type { ApiConfig } from '../config';
import { AuditController } from './audit/audit.controller';
import { ServiceTokenGuard } from './auth/service-token.guard';
import { GithubWebhookController } from './github/github-webhook.controller';
import { HealthModule } from './health/health.module';
import { MetricsController } from './metrics/metrics.controller';
import { PingController } from './ping.controller';
import { API_CONFIG, CATALOG, DATABASE, METRICS_REGISTRY, REPOSITORIES } from './tokens';

/** What the composition root (main.ts, or a test) builds and hands to Nest. */
export interface ApiDependencies {
  config: ApiConfig;
  catalog: Catalog;
  database: DatabaseHandle;
  repositories: Repositories;
  registry: Registry;
  logger: Logger;
}

/** Closes the database after the HTTP server has stopped and drained (Nest's shutdown order). */
@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: DatabaseHandle) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

@Module({})
export class AppModule {
  static forRoot(deps: ApiDependencies): DynamicModule {
    const values = [
      { provide: API_CONFIG, useValue: deps.config },
      { provide: CATALOG, useValue: deps.catalog },
      { provide: DATABASE, useValue: deps.database },
      { provide: REPOSITORIES, useValue: deps.repositories },
      { provide: METRICS_REGISTRY, useValue: deps.registry },
    ];
    return {
      module: AppModule,
      global: true,
      imports: [HealthModule],
      controllers: [MetricsController, PingController, AuditController, GithubWebhookController],
      providers: [...values, ServiceTokenGuard, DatabaseLifecycle],
      exports: values.map((v) => v.provide),
    };
  }
}
