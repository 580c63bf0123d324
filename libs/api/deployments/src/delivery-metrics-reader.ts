import {
  type Catalog,
  type Clock,
  type DeliveryRecord,
  type DeliveryReport,
  DELIVERY_DAYS,
  deliveryMetrics,
  findEnvironment,
  findService,
  Refusal,
  systemClock,
} from '@chatops/domain';
import type { Deployment, Repositories } from '@chatops/persistence';

const DAY_MS = 24 * 60 * 60_000;

/** The delivery metrics (DORA) of the deployment record, for `/dora` and the API. */
export class DeliveryMetricsReader {
  constructor(
    private readonly catalog: Catalog,
    private readonly repositories: Pick<Repositories, 'deployments'>,
    private readonly clock: Clock = systemClock,
  ) {}

  async read(
    filter: { service?: string; environment?: string; days?: number } = {},
  ): Promise<DeliveryReport> {
    const { service, environment } = filter;
    const days = filter.days ?? DELIVERY_DAYS.default;
    const problems: string[] = [];
    if (service !== undefined && !findService(this.catalog, service))
      problems.push(
        `unknown service \`${service}\` (known: ${this.catalog.services.map((s) => s.name).join(', ')})`,
      );
    if (environment !== undefined && !findEnvironment(this.catalog, environment))
      problems.push(
        `unknown environment \`${environment}\` (known: ${this.catalog.environments.map((e) => e.name).join(', ')})`,
      );
    if (!Number.isInteger(days) || days < 1 || days > DELIVERY_DAYS.max)
      problems.push(`days must be a whole number from 1 to ${DELIVERY_DAYS.max}`);
    if (problems.length) throw new Refusal('invalid', problems.join('; '), problems);

    const to = this.clock.now();
    const from = to - days * DAY_MS;
    const succeeded = await this.repositories.deployments.listSucceededSince({
      since: from,
      ...(service ? { service } : {}),
      ...(environment ? { environment } : {}),
    });
    const records = succeeded.map(deliveryRecordOf);
    const groups = new Map<string, DeliveryRecord[]>();
    for (const record of records) {
      const key = `${record.service}\u0000${record.environment}`;
      groups.set(key, [...(groups.get(key) ?? []), record]);
    }
    return {
      from,
      to,
      days,
      service: service ?? null,
      environment: environment ?? null,
      metrics: deliveryMetrics(records, { from, to }),
      breakdown: [...groups.values()]
        .map((group) => ({
          service: group[0]?.service ?? '',
          environment: group[0]?.environment ?? '',
          metrics: deliveryMetrics(group, { from, to }),
        }))
        .sort(
          (a, b) =>
            a.service.localeCompare(b.service) || a.environment.localeCompare(b.environment),
        ),
    };
  }
}

/** A deployment as the metrics read it: the commit time is its change's target's. */
export function deliveryRecordOf(deployment: Deployment): DeliveryRecord {
  return {
    kind: deployment.kind,
    service: deployment.service,
    environment: deployment.environment,
    status: deployment.status,
    finishedAt: deployment.finishedAt,
    version: deployment.version,
    fromVersion: deployment.fromVersion,
    committedAt: deployment.change?.target?.committedAt ?? null,
    failedAt: deployment.failure?.at ?? null,
  };
}
