import type { DeploymentKind, DeploymentStatus } from './deployment';

/**
 * The four delivery metrics (DORA) read from the deployment record, per service and environment.
 * Choices, where the definitions leave room:
 * - a *change* is a deploy, or a redeploy to another version (a promotion is one); a redeploy of
 *   the version that runs (a restart) and a rollback are not changes;
 * - a change *failed* when the next thing that succeeded in its service and environment was a
 *   rollback, or when something marked it failed (`failedAt`: a failed bake, a correlated alert);
 * - it was *restored* when something next succeeded there (the rollback, or a fix deployed
 *   forward); time to restore runs from the failure (the change going live, or its mark) to then;
 * - lead time runs from the commit a change deployed to its success.
 * Medians, so one outlier does not make the figure.
 */
export interface DeliveryRecord {
  kind: DeploymentKind;
  service: string;
  environment: string;
  status: DeploymentStatus;
  /** When it ended (null: still in flight). */
  finishedAt: number | null;
  /** Redeploys and rollbacks: the version put on the hosts and the one it replaced. */
  version: string | null;
  fromVersion: string | null;
  /** When the deployed commit was made (null: not known). */
  committedAt: number | null;
  /** When something showed the change failed after it went live (a bake, a correlated alert). */
  failedAt?: number | null;
}

export interface DeliveryWindow {
  from: number;
  to: number;
}

export interface DeliveryMetrics {
  /** Changes that succeeded in the window. */
  changes: number;
  /** Changes per day over the window. */
  changesPerDay: number;
  /** Median commit → success, of the changes whose commit time is known (null: none). */
  leadTimeMs: number | null;
  /** Changes that failed. */
  failures: number;
  /** failures / changes (null: no change). */
  changeFailureRate: number | null;
  /** Median failure → restored, of the failures restored (null: none restored). */
  timeToRestoreMs: number | null;
  /** Failures nothing has restored yet. */
  unrestored: number;
}

/** How many days back the metrics are read: by default, and at most. */
export const DELIVERY_DAYS = { default: 30, max: 90 } as const;

/** The figures over a window, as the API answers them and `/dora` shows them. */
export interface DeliveryReport {
  from: number;
  to: number;
  days: number;
  /** The filter asked for (null: every service, every environment). */
  service: string | null;
  environment: string | null;
  metrics: DeliveryMetrics;
  /** The same figures per service and environment that succeeded with something in the window. */
  breakdown: { service: string; environment: string; metrics: DeliveryMetrics }[];
}

const DAY_MS = 24 * 60 * 60_000;

/** Whether a record that succeeded put a change live (see above). */
export function isChange(record: DeliveryRecord): boolean {
  if (record.kind === 'deploy') return true;
  return (
    record.kind === 'redeploy' && record.version !== null && record.version !== record.fromVersion
  );
}

/** The delivery metrics of the records (any services and environments) over a window. */
export function deliveryMetrics(
  records: readonly DeliveryRecord[],
  window: DeliveryWindow,
): DeliveryMetrics {
  const succeeded = records
    .filter(
      (r): r is DeliveryRecord & { finishedAt: number } =>
        r.status === 'succeeded' && r.finishedAt !== null && isServiceKind(r.kind),
    )
    .sort((a, b) => a.finishedAt - b.finishedAt);
  const inWindow = (at: number) => at >= window.from && at < window.to;
  const changes = succeeded.filter((r) => isChange(r) && inWindow(r.finishedAt));

  const leadTimes = changes
    .filter((r) => r.committedAt !== null && r.committedAt <= r.finishedAt)
    .map((r) => r.finishedAt - (r.committedAt as number));

  let failures = 0;
  let unrestored = 0;
  const restoreTimes: number[] = [];
  for (const change of changes) {
    const later = succeeded.filter(
      (r) =>
        r !== change &&
        r.service === change.service &&
        r.environment === change.environment &&
        r.finishedAt >= change.finishedAt,
    );
    const next = later[0];
    const marked = change.failedAt ?? null;
    const rolledBack = next?.kind === 'rollback';
    if (marked === null && !rolledBack) continue;
    failures += 1;
    const failedAt = marked ?? change.finishedAt;
    const restore = later.find((r) => r.finishedAt >= failedAt);
    if (restore) restoreTimes.push(restore.finishedAt - failedAt);
    else unrestored += 1;
  }

  const days = Math.max(window.to - window.from, 0) / DAY_MS;
  return {
    changes: changes.length,
    changesPerDay: days > 0 ? changes.length / days : 0,
    leadTimeMs: median(leadTimes),
    failures,
    changeFailureRate: changes.length ? failures / changes.length : null,
    timeToRestoreMs: median(restoreTimes),
    unrestored,
  };
}

/** Deploys, redeploys and rollbacks change what a service runs; infra and AMI builds do not. */
function isServiceKind(kind: DeploymentKind): boolean {
  return kind === 'deploy' || kind === 'redeploy' || kind === 'rollback';
}

function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const upper = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const lower = sorted[Math.ceil(sorted.length / 2) - 1] ?? upper;
  return (lower + upper) / 2;
}
