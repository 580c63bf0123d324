import type { AlertGroupState, AlertInstance } from './alerts';
import { alertChannels, groupSeverity, routeAlertGroup, type AlertRouting } from './alert-routing';
import { catalogSchema } from './catalog';

const DEFAULT = '100000000000000000';
const INCIDENTS = '200000000000000000';
const STAGING = '300000000000000000';
const ONCALL = '900000000000000000';

const routing: AlertRouting = {
  routes: [
    { environments: ['prod'], severities: ['critical'], channel: INCIDENTS },
    { environments: ['staging'], channel: STAGING },
  ],
  onCall: { role: ONCALL, severities: ['critical'] },
  stormThreshold: 20,
};

function alert(
  severity: string | undefined,
  status: 'firing' | 'resolved' = 'firing',
): AlertInstance {
  const labels: Record<string, string> = { alertname: 'X' };
  if (severity) labels['severity'] = severity;
  return {
    fingerprint: `fp-${severity}-${status}`,
    status,
    labels,
    annotations: {},
    startsAt: '2026-12-01T00:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
  };
}

function group(
  commonLabels: Record<string, string>,
  alerts: AlertInstance[] = [],
  status: 'firing' | 'resolved' = 'firing',
): AlertGroupState {
  return {
    status,
    episode: 1,
    groupLabels: {},
    commonLabels,
    commonAnnotations: {},
    externalURL: '',
    truncatedAlerts: 0,
    alerts,
    firingSince: 0,
    resolvedAt: null,
  };
}

describe('routeAlertGroup', () => {
  it('sends prod criticals to #incidents and pages the on-call role', () => {
    expect(
      routeAlertGroup(routing, group({ environment: 'prod', severity: 'critical' }), DEFAULT),
    ).toEqual({ channelId: INCIDENTS, mentionRole: ONCALL });
  });

  it('takes the first route that matches, and the default channel when none does', () => {
    expect(
      routeAlertGroup(routing, group({ environment: 'prod', severity: 'warning' }), DEFAULT),
    ).toEqual({ channelId: DEFAULT, mentionRole: null });
    expect(
      routeAlertGroup(routing, group({ environment: 'staging', severity: 'critical' }), DEFAULT),
    ).toEqual({ channelId: STAGING, mentionRole: ONCALL });
    expect(routeAlertGroup(routing, group({}), DEFAULT)).toEqual({
      channelId: DEFAULT,
      mentionRole: null,
    });
  });

  it('reads a mixed group as its most severe firing alert', () => {
    const mixed = group({ environment: 'prod' }, [alert('warning'), alert('critical')]);
    expect(groupSeverity(mixed)).toBe('critical');
    expect(routeAlertGroup(routing, mixed, DEFAULT)).toEqual({
      channelId: INCIDENTS,
      mentionRole: ONCALL,
    });
    const calmer = group({ environment: 'prod' }, [
      alert('warning'),
      alert('critical', 'resolved'),
    ]);
    expect(groupSeverity(calmer)).toBe('warning');
  });

  it('pages nobody for a resolved group, and nobody at all without an on-call role', () => {
    const resolved = group({ environment: 'prod', severity: 'critical' }, [], 'resolved');
    expect(routeAlertGroup(routing, resolved, DEFAULT)).toEqual({
      channelId: INCIDENTS,
      mentionRole: null,
    });
    const { onCall: _onCall, ...quiet } = routing;
    expect(
      routeAlertGroup(quiet, group({ environment: 'prod', severity: 'critical' }), DEFAULT),
    ).toEqual({ channelId: INCIDENTS, mentionRole: null });
  });

  it('lists every channel alerts may go to once', () => {
    expect(alertChannels(routing, DEFAULT)).toEqual([DEFAULT, INCIDENTS, STAGING]);
    expect(alertChannels(routing, INCIDENTS)).toEqual([INCIDENTS, STAGING]);
  });
});

describe('the catalog’s alerts section', () => {
  const base = {
    project: 'p',
    github: { owner: 'o', repo: 'r' },
    services: [{ name: 'api', workflow: 'deploy.yml', image: 'x/api', healthUrl: 'https://h' }],
    environments: [{ name: 'prod' }],
    roles: {},
  };

  it('defaults to no routes, no pages and a storm above 20 groups', () => {
    expect(catalogSchema.parse(base).alerts).toEqual({ routes: [], stormThreshold: 20 });
  });

  it('lists every problem: unknown environments, ids that are not snowflakes, a bad threshold', () => {
    const result = catalogSchema.safeParse({
      ...base,
      alerts: {
        routes: [{ environments: ['qa'], channel: '#incidents' }],
        onCall: { role: 'oncall' },
        stormThreshold: 0,
      },
    });
    expect(result.success).toBe(false);
    const problems = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        "alerts.routes.0.environments.0: unknown environment 'qa' (declared: prod)",
        'alerts.routes.0.channel: must be a Discord channel id (17–20 digits)',
        'alerts.onCall.role: must be a Discord role id (17–20 digits)',
        expect.stringMatching(/^alerts\.stormThreshold: /),
      ]),
    );
  });
});
