import { AlertInstance, AlertmanagerNotification, foldNotification } from './alerts';

const T0 = Date.parse('2026-11-21T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function alert(fingerprint: string, startMinute = 0, endMinute?: number): AlertInstance {
  return {
    fingerprint,
    status: endMinute === undefined ? 'firing' : 'resolved',
    labels: { alertname: 'HighCpu', instance: fingerprint },
    annotations: { summary: `${fingerprint} is busy` },
    startsAt: at(startMinute),
    endsAt: endMinute === undefined ? '0001-01-01T00:00:00Z' : at(endMinute),
    generatorURL: 'http://prometheus/graph',
  };
}

function notify(...alerts: AlertInstance[]): AlertmanagerNotification {
  return {
    version: '4',
    groupKey: '{}:{alertname="HighCpu"}',
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'discord',
    groupLabels: { alertname: 'HighCpu' },
    commonLabels: { alertname: 'HighCpu' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager',
    alerts,
  };
}

/** Folds notifications in the given order. */
function fold(...notifications: AlertmanagerNotification[]) {
  let state = null as ReturnType<typeof foldNotification> | null;
  for (const n of notifications) state = foldNotification(state?.state ?? null, n, T0);
  if (!state) throw new Error('nothing folded');
  return state;
}

describe('foldNotification', () => {
  it('starts a group firing, then resolves it with the time it took', () => {
    const firing = fold(notify(alert('a', 0), alert('b', 2)));
    expect(firing.state).toMatchObject({ status: 'firing', episode: 1, firingSince: T0 });
    expect(firing.state.alerts.map((a) => a.fingerprint)).toEqual(['b', 'a']);
    const done = fold(
      notify(alert('a', 0), alert('b', 2)),
      notify(alert('a', 0, 5), alert('b', 2, 12)),
    );
    expect(done.state).toMatchObject({ status: 'resolved', episode: 1 });
    expect(done.state.resolvedAt! - done.state.firingSince).toBe(12 * 60_000);
  });

  it('keeps the group firing while one of its alerts still fires', () => {
    const result = fold(
      notify(alert('a', 0), alert('b', 0)),
      notify(alert('a', 0, 3), alert('b', 0)),
    );
    expect(result.state.status).toBe('firing');
    expect(result.state.alerts.map((a) => [a.fingerprint, a.status])).toEqual([
      ['b', 'firing'],
      ['a', 'resolved'],
    ]);
  });

  it('changes nothing when the same notification comes again', () => {
    const once = notify(alert('a', 0));
    const again = foldNotification(fold(once).state, once, T0 + 1000);
    expect(again.changed).toBe(false);
    expect(again.newEpisode).toBe(false);
  });

  it('does not let a late, older notification undo a resolve', () => {
    const firing = notify(alert('a', 0));
    const resolved = notify(alert('a', 0, 4));
    const inOrder = fold(firing, resolved).state;
    const reordered = fold(resolved, firing);
    expect(reordered.state).toEqual(inOrder);
    expect(reordered.newEpisode).toBe(false);
  });

  it('starts a new episode when a resolved group fires again', () => {
    const result = fold(notify(alert('a', 0)), notify(alert('a', 0, 4)), notify(alert('a', 30)));
    expect(result.newEpisode).toBe(true);
    expect(result.state).toMatchObject({ status: 'firing', episode: 2, resolvedAt: null });
    expect(result.state.firingSince).toBe(T0 + 30 * 60_000);
    expect(result.state.alerts).toHaveLength(1);
  });

  it('resolves the whole group on a group-level resolve, also the alerts max_alerts left unlisted', () => {
    const fps = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `a${String(from + i).padStart(3, '0')}`);
    // 100 alerts fire; then 20 more that sort before them (max_alerts 100: 20 unlisted).
    const first = notify(...fps(20, 120).map((f) => alert(f, 0)));
    const more = { ...notify(...fps(0, 100).map((f) => alert(f, 1))), truncatedAlerts: 20 };
    // All 120 resolve; the notification lists 100 of them.
    const resolved = {
      ...notify(...fps(0, 100).map((f) => alert(f, 0, 30))),
      status: 'resolved' as const,
      truncatedAlerts: 20,
    };
    const { state } = fold(first, more, resolved);
    expect(state.status).toBe('resolved');
    expect(state.alerts.filter((a) => a.status === 'firing')).toEqual([]);
    expect(state.alerts).toHaveLength(120);
    expect(state.resolvedAt).toBe(T0 + 30 * 60_000);
    expect(state.groupSize).toBe(120);
    // Again, and in another order: the same state.
    expect(fold(first, more, resolved, resolved).state).toEqual(state);
    expect(fold(resolved, first, more).state.status).toBe('resolved');
  });

  it('does not let a late group-level resolve end alerts that started after it', () => {
    const resolved = { ...notify(alert('a', 0, 10)), status: 'resolved' as const };
    const again = notify(alert('b', 20));
    const { state } = fold(notify(alert('a', 0)), again, resolved);
    expect(state.status).toBe('firing');
    expect(state.alerts.map((a) => [a.fingerprint, a.status])).toEqual([
      ['b', 'firing'],
      ['a', 'resolved'],
    ]);
  });

  it('merges alerts arriving in separate notifications of one group', () => {
    const result = fold(notify(alert('a', 0)), notify(alert('b', 1)), notify(alert('c', 2)));
    expect(result.state.alerts.map((a) => a.fingerprint)).toEqual(['c', 'b', 'a']);
    expect(result.state.firingSince).toBe(T0);
  });
});
