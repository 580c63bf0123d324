import { Gauge, type Registry } from 'prom-client';
import type { DeliveryMetrics } from '@chatops/domain';
import type { Repositories } from '@chatops/persistence';
import type { DeliveryMetricsReader } from './delivery-metrics-reader';

/**
 * The lease that makes one API replica the exporter of the delivery metrics: an environment
 * lock under a name no catalog environment can have (names start with a letter).
 */
export const DELIVERY_METRICS_LEASE = { environment: '~platform', service: 'delivery-metrics' };

export interface DeliveryMetricsExporterOptions {
  /** This replica, as the lease's holder. */
  holderId: string;
  /**
   * How long the lease outlives a scrape: another replica exports once the holder has not been
   * scraped (it died) for this long. Default 2 minutes, well over a usual scrape interval.
   */
  leaseMs?: number;
  /** The window the figures cover (default 30 days, as `/dora`). */
  days?: number;
  log?: { warn(obj: object, msg: string): void };
}

const FIGURES: {
  name: string;
  help: string;
  of: (m: DeliveryMetrics) => number | null;
}[] = [
  {
    name: 'chatops_delivery_deployments_per_day',
    help: 'Deployment frequency: changes that went live per day over the window',
    of: (m) => m.changesPerDay,
  },
  {
    name: 'chatops_delivery_changes',
    help: 'Changes (deploys, redeploys to a new version) that went live in the window',
    of: (m) => m.changes,
  },
  {
    name: 'chatops_delivery_lead_time_seconds',
    help: 'Lead time for changes: median commit → live, in seconds',
    of: (m) => (m.leadTimeMs === null ? null : m.leadTimeMs / 1000),
  },
  {
    name: 'chatops_delivery_change_failure_ratio',
    help: 'Change failure rate: changes followed by a rollback, a failed bake or a correlated alert',
    of: (m) => m.changeFailureRate,
  },
  {
    name: 'chatops_delivery_time_to_restore_seconds',
    help: 'Time to restore: median failure → next good deployment, in seconds',
    of: (m) => (m.timeToRestoreMs === null ? null : m.timeToRestoreMs / 1000),
  },
];

/**
 * `/dora`'s figures as Prometheus gauges, per service and environment (and overall, with both
 * labels empty), exported by one replica only: each scrape renews this replica's lease or finds
 * another holds it, and then it exports none of these series (so `sum` over the fleet is not
 * doubled). Computed from the record at scrape time.
 */
export class DeliveryMetricsExporter {
  constructor(
    private readonly reader: DeliveryMetricsReader,
    private readonly repositories: Pick<Repositories, 'locks'>,
    registry: Registry,
    private readonly options: DeliveryMetricsExporterOptions,
  ) {
    // One read of the record fills every gauge (a scrape collects them together).
    const refresh = () => this.refresh();
    this.gauges = FIGURES.map(
      (figure) =>
        new Gauge({
          name: figure.name,
          help: figure.help,
          labelNames: ['service', 'environment'],
          registers: [registry],
          collect: refresh,
        }),
    );
  }

  private readonly gauges: Gauge[];
  private refreshing: Promise<void> | null = null;

  /** Fills the gauges; a scrape collects them all at once, and they share one fill. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.fill(this.gauges).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Whether this replica holds the lease (taking or renewing it). */
  async leads(): Promise<boolean> {
    const result = await this.repositories.locks.acquire({
      ...DELIVERY_METRICS_LEASE,
      holderId: this.options.holderId,
      holderName: this.options.holderId,
      reason: 'exports the delivery metrics',
      ttlMs: this.options.leaseMs ?? 120_000,
    });
    return result.acquired;
  }

  private async fill(gauges: Gauge[]): Promise<void> {
    for (const gauge of gauges) gauge.reset();
    try {
      if (!(await this.leads())) return;
      const report = await this.reader.read({ days: this.options.days ?? 30 });
      const rows = [{ service: '', environment: '', metrics: report.metrics }, ...report.breakdown];
      for (const row of rows)
        FIGURES.forEach((figure, i) => {
          const value = figure.of(row.metrics);
          if (value !== null)
            gauges[i]?.set({ service: row.service, environment: row.environment }, value);
        });
    } catch (error) {
      this.options.log?.warn({ err: error }, 'could not export the delivery metrics');
    }
  }
}
