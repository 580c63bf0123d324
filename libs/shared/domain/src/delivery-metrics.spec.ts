import { type DeliveryRecord, deliveryMetrics, isChange } from './delivery-metrics';

const HOUR = 60 * 60_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-02T00:00:00Z');
const WEEK = { from: T0, to: T0 + 7 * DAY };

function record(
  partial: Partial<DeliveryRecord> & Pick<DeliveryRecord, 'finishedAt'>,
): DeliveryRecord {
  return {
    kind: 'deploy',
    service: 'api',
    environment: 'prod',
    status: 'succeeded',
    version: null,
    fromVersion: null,
    committedAt: null,
    ...partial,
  };
}

/**
 * A week of api and web in prod whose answers are worked out by hand (times from T0):
 * - before the window: a deploy (-1h) rolled back at +10m: neither counts;
 * - d1 deploy, committed 0h, live 1h: lead 1h; next comes d2, so it did not fail;
 * - d2 deploy, committed 1d, live 1d 2h: lead 2h; rolled back at 1d 2h30m: failed, restored in 30m;
 * - a restart (redeploy of the version running) at 2d: not a change;
 * - v5, a redeploy to v5 (a promotion), committed 2d 20h, live 3d: lead 4h; its bake failed at
 *   3d 10m; d4 deployed forward at 3d 1h: restored in 50m;
 * - d4 deploy, committed 3d, live 3d 1h: lead 1h; nothing follows, not failed;
 * - a deploy that failed at 4d and an infra apply: neither counts;
 * - d6 deploy, commit unknown, live 5d; an alert marked it failed at 5d 5m; nothing restored it;
 * - web: w1 deploy, committed 4d, live 4d 3h: lead 3h; rolled back at 4d 4h: restored in 1h.
 */
const HISTORY: DeliveryRecord[] = [
  record({ finishedAt: T0 - HOUR, committedAt: T0 - 2 * HOUR }),
  record({ kind: 'rollback', finishedAt: T0 + 10 * MINUTE, version: 'v0', fromVersion: 'v1' }),
  record({ finishedAt: T0 + HOUR, committedAt: T0 }),
  record({ finishedAt: T0 + DAY + 2 * HOUR, committedAt: T0 + DAY }),
  record({ kind: 'rollback', finishedAt: T0 + DAY + 2.5 * HOUR, version: 'v2', fromVersion: 'v3' }),
  record({ kind: 'redeploy', finishedAt: T0 + 2 * DAY, version: 'v2', fromVersion: 'v2' }),
  record({
    kind: 'redeploy',
    finishedAt: T0 + 3 * DAY,
    version: 'v5',
    fromVersion: 'v2',
    committedAt: T0 + 2 * DAY + 20 * HOUR,
    failedAt: T0 + 3 * DAY + 10 * MINUTE,
  }),
  record({ finishedAt: T0 + 3 * DAY + HOUR, committedAt: T0 + 3 * DAY }),
  record({ status: 'failed', finishedAt: T0 + 4 * DAY, committedAt: T0 + 4 * DAY - HOUR }),
  record({ kind: 'infra-apply', finishedAt: T0 + 4 * DAY, environment: 'prod' }),
  record({ finishedAt: T0 + 5 * DAY, failedAt: T0 + 5 * DAY + 5 * MINUTE }),
  record({ service: 'web', finishedAt: T0 + 4 * DAY + 3 * HOUR, committedAt: T0 + 4 * DAY }),
  record({
    service: 'web',
    kind: 'rollback',
    finishedAt: T0 + 4 * DAY + 4 * HOUR,
    version: 'w0',
    fromVersion: 'w1',
  }),
];

describe('delivery metrics on a known week', () => {
  const metrics = deliveryMetrics(HISTORY, WEEK);

  it('counts the changes that went live in the window: deploys and redeploys to a new version', () => {
    expect(metrics.changes).toBe(6);
    expect(metrics.changesPerDay).toBeCloseTo(6 / 7, 10);
  });

  it('takes the median lead time from commit to success, over the changes whose commit is known', () => {
    // 1h, 1h, 2h, 3h, 4h.
    expect(metrics.leadTimeMs).toBe(2 * HOUR);
  });

  it('counts as failed the changes rolled back next, and those marked failed', () => {
    expect(metrics.failures).toBe(4);
    expect(metrics.changeFailureRate).toBeCloseTo(4 / 6, 10);
  });

  it('takes the median time to restore, from the failure to what next succeeded there', () => {
    // 30m, 50m, 1h; d6 is not restored.
    expect(metrics.timeToRestoreMs).toBe(50 * MINUTE);
    expect(metrics.unrestored).toBe(1);
  });
});

describe('delivery metrics, edges', () => {
  it('has no rates on an empty record', () => {
    expect(deliveryMetrics([], WEEK)).toEqual({
      changes: 0,
      changesPerDay: 0,
      leadTimeMs: null,
      failures: 0,
      changeFailureRate: null,
      timeToRestoreMs: null,
      unrestored: 0,
    });
  });

  it('counts a change at the window start and not one at its end', () => {
    const edges = [record({ finishedAt: WEEK.from }), record({ finishedAt: WEEK.to })];
    expect(deliveryMetrics(edges, WEEK).changes).toBe(1);
  });

  it('does not blame a change for a rollback in another environment or service', () => {
    const history = [
      record({ finishedAt: T0 + HOUR }),
      record({ kind: 'rollback', environment: 'staging', finishedAt: T0 + 2 * HOUR }),
      record({ kind: 'rollback', service: 'web', finishedAt: T0 + 3 * HOUR }),
    ];
    expect(deliveryMetrics(history, WEEK).failures).toBe(0);
  });

  it('ignores a commit time after the success (a clock or a record gone wrong)', () => {
    const history = [record({ finishedAt: T0 + HOUR, committedAt: T0 + 2 * HOUR })];
    expect(deliveryMetrics(history, WEEK).leadTimeMs).toBeNull();
  });

  it('tells a restart and a rollback from a change', () => {
    expect(
      isChange(record({ kind: 'redeploy', finishedAt: 0, version: 'v1', fromVersion: 'v1' })),
    ).toBe(false);
    expect(
      isChange(record({ kind: 'redeploy', finishedAt: 0, version: 'v2', fromVersion: 'v1' })),
    ).toBe(true);
    expect(
      isChange(record({ kind: 'rollback', finishedAt: 0, version: 'v1', fromVersion: 'v2' })),
    ).toBe(false);
    expect(isChange(record({ finishedAt: 0 }))).toBe(true);
  });
});
