import type { DeliveryMetrics, DeliveryReport } from '@chatops/domain';
import { renderDeliveryReport } from './delivery-message';
import { LIMITS } from './limits';

const HOUR = 60 * 60_000;
const none: DeliveryMetrics = {
  changes: 0,
  changesPerDay: 0,
  leadTimeMs: null,
  failures: 0,
  changeFailureRate: null,
  timeToRestoreMs: null,
  unrestored: 0,
};

function report(partial: Partial<DeliveryReport> = {}): DeliveryReport {
  return {
    from: 0,
    to: 30 * 24 * HOUR,
    days: 30,
    service: null,
    environment: null,
    metrics: none,
    breakdown: [],
    ...partial,
  };
}

describe('renderDeliveryReport', () => {
  it('says when nothing went live, with a dash for each figure it cannot tell', () => {
    const message = renderDeliveryReport(report());
    expect(message.content).toBe('📈 No change went live in the last 30 days');
    expect(message.embeds[0]?.fields?.map((f) => f.value)).toEqual([
      '0 changes · 0.00 a day',
      '—',
      '—',
      '—',
    ]);
  });

  it('lists each service and environment when there are several, and the failures not restored', () => {
    const metrics: DeliveryMetrics = {
      changes: 20,
      changesPerDay: 20 / 30,
      leadTimeMs: 2 * HOUR,
      failures: 2,
      changeFailureRate: 0.1,
      timeToRestoreMs: HOUR,
      unrestored: 1,
    };
    const message = renderDeliveryReport(
      report({
        metrics,
        breakdown: [
          {
            service: 'api',
            environment: 'prod',
            metrics: { ...metrics, changes: 12, changeFailureRate: 2 / 12 },
          },
          {
            service: 'bot',
            environment: 'prod',
            metrics: { ...none, changes: 8, changesPerDay: 8 / 30 },
          },
        ],
      }),
    );
    expect(message.content).toBe('📈 20 changes in 30 days');
    expect(message.embeds[0]?.fields?.[3]?.value).toBe('median 1h 0m · 1 not restored');
    expect(message.embeds[0]?.description?.split('\n')).toEqual([
      '`api` on `prod`: 12 changes, 17 % (2 of 12) failed, lead median 2h 0m, restore median 1h 0m',
      '`bot` on `prod`: 8 changes, — failed, lead —, restore —',
    ]);
  });

  it('fits a long breakdown in one embed', () => {
    const breakdown = Array.from({ length: 500 }, (_, i) => ({
      service: `service-${i}`,
      environment: 'production',
      metrics: none,
    }));
    const description = renderDeliveryReport(report({ breakdown })).embeds[0]?.description ?? '';
    expect(description.length).toBeLessThanOrEqual(LIMITS.embedDescription);
    expect(description).toMatch(/…and \d+ more$/);
  });
});
