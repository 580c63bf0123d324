import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AuditTrail } from '@chatops/deployments';
import type { Catalog } from '@chatops/domain';
import type { DatabaseHandle, Repositories } from '@chatops/persistence';
import type { ApiConfig } from '../config';
import { AuditController } from './audit/audit.controller';
import { ServiceTokenGuard } from './auth/service-token.guard';
import { GithubWebhookController } from './github/github-webhook.controller';
import { HealthModule } from './health/health.module';
import { MetricsController } from './metrics/metrics.controller';
import { PingController } from './ping.controller';
import { DeploymentsController } from './deployments/deployments.controller';
import { DeliveryController } from './deployments/delivery.controller';
import { FleetController } from './deployments/fleet.controller';
import { LocksController } from './deployments/locks.controller';
import type { WorkflowMachinery } from './deployments/workflow-machinery';
import { AlertsController } from './alerts/alerts.controller';
import type { AlertingMachinery } from './alerts/alerting-machinery';
import {
  ALERTING,
  API_CONFIG,
  CATALOG,
  DATABASE,
  METRICS_REGISTRY,
  AUDIT_TRAIL,
  WORKFLOWS,
} from './tokens';

/** What the composition root (main.ts, or a test) builds and hands to Nest. */
export interface ApiDependencies {
  config: ApiConfig;
  catalog: Catalog;
  database: DatabaseHandle;
  repositories: Repositories;
  registry: Registry;
  logger: Logger;
  workflows: WorkflowMachinery;
  alerting: AlertingMachinery;
}

/** Background loops run while the app runs; pending Discord edits are sent before the database closes. */
@Injectable()
class WorkflowLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(WORKFLOWS) private readonly workflows: WorkflowMachinery,
    @Inject(ALERTING) private readonly alerting: AlertingMachinery,
  ) {}

  onApplicationBootstrap(): void {
    this.workflows.start();
    this.alerting.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.workflows.stop(), this.alerting.stop()]);
  }
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
      { provide: METRICS_REGISTRY, useValue: deps.registry },
      { provide: WORKFLOWS, useValue: deps.workflows },
      { provide: ALERTING, useValue: deps.alerting },
      { provide: AUDIT_TRAIL, useValue: new AuditTrail(deps.repositories) },
    ];
    return {
      module: AppModule,
      global: true,
      imports: [HealthModule],
      controllers: [
        MetricsController,
        PingController,
        AuditController,
        GithubWebhookController,
        DeploymentsController,
        FleetController,
        DeliveryController,
        LocksController,
        AlertsController,
      ],
      providers: [...values, ServiceTokenGuard, WorkflowLifecycle, DatabaseLifecycle],
      exports: values.map((v) => v.provide),
    };
  }
}
