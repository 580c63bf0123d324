import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { DatabaseHandle } from '@chatops/persistence';
import { DATABASE } from '../tokens';

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    const started = process.hrtime.bigint();
    try {
      await withTimeout(this.database.ping(), PING_TIMEOUT_MS);
      const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
      return indicator.up({
        dialect: this.database.dialect,
        latencyMs: Math.round(latencyMs * 100) / 100,
      });
    } catch (error) {
      return indicator.down({ dialect: this.database.dialect, message: (error as Error).message });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
