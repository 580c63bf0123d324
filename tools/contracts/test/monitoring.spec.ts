import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * Policies promtool does not check: every alert carries what the Discord message and the
 * people reading it need, links a runbook section that exists, and has a unit test that fires
 * it and one that keeps it silent (deploy/monitoring/tests, run by promtool test rules).
 */
const ROOT = resolve(__dirname, '../../..');
const MONITORING = join(ROOT, 'deploy/monitoring');

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = readdirSync(join(MONITORING, 'rules')).flatMap((file) =>
  (
    parse(readFileSync(join(MONITORING, 'rules', file), 'utf8')) as { groups: { rules: Rule[] }[] }
  ).groups.flatMap((g) => g.rules),
);
const alerts = rules.filter((r) => r.alert);

interface AlertTest {
  alertname: string;
  exp_alerts: unknown[];
}
const tests: AlertTest[] = readdirSync(join(MONITORING, 'tests')).flatMap((file) =>
  (
    parse(readFileSync(join(MONITORING, 'tests', file), 'utf8')) as {
      tests: { alert_rule_test?: AlertTest[] }[];
    }
  ).tests.flatMap((t) => t.alert_rule_test ?? []),
);

const runbooks = readFileSync(join(ROOT, 'docs/runbooks.md'), 'utf8');
const anchors = new Set(
  [...runbooks.matchAll(/^## (.+)$/gm)].map((m) => (m[1] ?? '').toLowerCase().replace(/\s+/g, '-')),
);

describe('monitoring rules', () => {
  it('cover the reference stack and the platform', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'AlertDeliveryBacklog',
      'ApiDown',
      'ApiHighErrorRatio',
      'ApiHighLatency',
      'BotDown',
      'CadvisorDown',
      'DeployFailed',
      'DiscordGatewayDisconnected',
      'HostHighCpu',
      'HostHighMemory',
      'HostLowDisk',
      'NodeExporterDown',
      'Watchdog',
    ]);
  });

  // The dead man's switch: it must fire always (the API reports when it stops arriving).
  const ALWAYS_FIRING = 'Watchdog';

  it('the watchdog always fires, with severity none', () => {
    const watchdog = alerts.find((a) => a.alert === ALWAYS_FIRING);
    expect(watchdog?.expr).toBe('vector(1)');
    expect(watchdog?.for).toBeUndefined();
    expect(watchdog?.labels?.['severity']).toBe('none');
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s has a severity, a summary, a description and a runbook that exists',
    (_name, alert) => {
      expect(_name === ALWAYS_FIRING ? ['none'] : ['critical', 'warning', 'info']).toContain(
        alert.labels?.['severity'],
      );
      expect(alert.annotations?.['summary']).toBeTruthy();
      expect(alert.annotations?.['description']).toBeTruthy();
      const url = alert.annotations?.['runbook_url'] ?? '';
      expect(url).toMatch(/^https:\/\/github\.com\/acme\/chatops\/blob\/main\/docs\/runbooks\.md#/);
      expect(anchors).toContain(url.split('#')[1]);
    },
  );

  it.each(alerts.map((a) => [a.alert]))(
    '%s has a unit test that fires it and one that does not',
    (name) => {
      const cases = tests.filter((t) => t.alertname === name);
      expect(cases.some((t) => t.exp_alerts.length > 0)).toBe(true);
      // The watchdog never stops firing: no case may expect it silent.
      expect(cases.some((t) => t.exp_alerts.length === 0)).toBe(name !== ALWAYS_FIRING);
    },
  );
});

describe('alertmanager.yml', () => {
  const config = parse(readFileSync(join(MONITORING, 'alertmanager.yml'), 'utf8'));

  it('sends every alert to the API with a bearer token read from a file', () => {
    const [receiver] = config.receivers;
    expect(config.route.receiver).toBe(receiver.name);
    expect(receiver.webhook_configs).toEqual([
      expect.objectContaining({
        url: 'http://api:3000/v1/alerts/alertmanager',
        send_resolved: true,
        http_config: {
          authorization: {
            type: 'Bearer',
            credentials_file: expect.stringMatching(/^\/run\/secrets\//),
          },
        },
      }),
    ]);
    expect(JSON.stringify(config)).not.toMatch(/"credentials":/);
  });

  it('groups, and lets a critical alert mute the warnings of the same instance', () => {
    expect(config.route.group_by).toEqual(['alertname', 'environment', 'service']);
    expect(config.inhibit_rules).toEqual([
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ['instance'],
      },
    ]);
  });
});

describe('Grafana provisioning', () => {
  it('has a dashboard for the API, the bot and alert delivery on the provisioned datasource', () => {
    const dashboard = JSON.parse(
      readFileSync(join(MONITORING, 'grafana/dashboards/chatops.json'), 'utf8'),
    ) as { panels: { title: string; targets: { expr: string; datasource: { uid: string } }[] }[] };
    const datasources = parse(
      readFileSync(join(MONITORING, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    );
    const uid = datasources.datasources[0].uid;
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const metric of [
      'http_request_duration_seconds',
      'discord_gateway_ready',
      'bot_commands_total',
      'alert_delivery_backlog',
      'alert_deliveries_total',
      // The delivery metrics row (libs/api/deployments/src/delivery-metrics-exporter.ts).
      'chatops_delivery_deployments_per_day',
      'chatops_delivery_lead_time_seconds',
      'chatops_delivery_change_failure_ratio',
      'chatops_delivery_time_to_restore_seconds',
    ])
      expect(exprs).toContain(metric);
    expect(dashboard.panels.every((p) => p.targets.every((t) => t.datasource.uid === uid))).toBe(
      true,
    );
  });
});
