import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { loadCatalog } from '@chatops/config';
import { DiscordSimulator } from '@chatops/discord-sim';
import { createLogger, createMetricsRegistry } from '@chatops/observability';
import { createRepositories, openDatabase, type DatabaseHandle } from '@chatops/persistence';
import { alertInstance, alertNotification, resolved } from '@chatops/testing';
import { loadApiConfig } from '../src/config';
import { createApiApp } from '../src/app/create-app';
import { buildClients } from '../src/app/clients';
import { buildWorkflowMachinery } from '../src/app/deployments/workflow-machinery';
import { buildAlertingMachinery } from '../src/app/alerts/alerting-machinery';

const SERVICE_TOKEN = 'service-token-'.padEnd(40, 's');
const ALERT_TOKEN = 'alertmanager-token-'.padEnd(40, 'a');
const BOT_TOKEN = `sim.${'b'.repeat(60)}`;
const alertAuth = { Authorization: `Bearer ${ALERT_TOKEN}` };

let sim: DiscordSimulator;
let database: DatabaseHandle;
let app: NestFastifyApplication;
let repositories: ReturnType<typeof createRepositories>;

async function start(env: Record<string, string>) {
  const config = loadApiConfig({
    API_SERVICE_TOKEN: SERVICE_TOKEN,
    BODY_LIMIT_BYTES: '65536',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const catalog = loadCatalog(join(__dirname, '../../../chatops.config.yaml'));
  database = await openDatabase('sqlite::memory:');
  repositories = createRepositories(database);
  const registry = createMetricsRegistry('api');
  const logger = createLogger({ name: 'api', level: 'silent' });
  const clients = { ...buildClients(config, catalog, logger), github: null, fleet: null };
  const parts = { config, catalog, repositories, registry, logger, clients };
  app = await createApiApp({
    ...parts,
    database,
    workflows: buildWorkflowMachinery(parts),
    alerting: buildAlertingMachinery(parts),
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
}

beforeEach(async () => {
  sim = await new DiscordSimulator({ botToken: BOT_TOKEN, rateLimits: [] }).start();
});
afterEach(async () => {
  await app?.close();
  await sim.stop();
});

const configured = () => ({
  ALERTMANAGER_WEBHOOK_TOKEN: ALERT_TOKEN,
  DISCORD_TOKEN: BOT_TOKEN,
  DISCORD_API_URL: sim.restUrl,
  ALERTS_CHANNEL_ID: sim.channelId,
});

const http = () => request(app.getHttpServer());
const apiDown = alertInstance('a1', {
  labels: { alertname: 'ApiDown', environment: 'staging', service: 'api' },
});

async function until<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function settledMetrics(settled: (text: string) => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metrics = await http().get('/metrics').expect(200);
    if (settled(metrics.text) || Date.now() > deadline) return metrics;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('POST /v1/alerts/alertmanager', () => {
  it('stores the notification before 202, and the worker posts it, then edits it to resolved', async () => {
    await start(configured());
    const res = await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .send(alertNotification([apiDown]))
      .expect(202);
    expect(res.body).toEqual({ status: 'accepted', id: expect.any(Number) });
    const again = await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .send(alertNotification([apiDown]))
      .expect(202);
    expect(again.body).toEqual({ status: 'duplicate', id: res.body.id });
    const posted = await until(() => sim.channelMessages()[0]);
    expect(posted.content).toMatch(/Firing\*\*: ApiDown on staging/);
    await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .send(alertNotification([resolved(apiDown)]))
      .expect(202);
    await until(() =>
      sim.channelMessages()[0]?.content.startsWith('✅ **Resolved**') ? true : undefined,
    );
    expect(sim.channelMessages()).toHaveLength(1);
    // Discord sees the edit before the worker counts it: wait for the count, not a fixed delay.
    const metrics = await settledMetrics((text) =>
      /alert_deliveries_total\{outcome="delivered",app="api"\} 2/.test(text),
    );
    expect(metrics.text).toContain(
      'alert_notifications_received_total{outcome="accepted",app="api"} 2',
    );
    expect(metrics.text).toContain(
      'alert_notifications_received_total{outcome="duplicate",app="api"} 1',
    );
    expect(metrics.text).toMatch(/alert_deliveries_total\{outcome="delivered",app="api"\} 2/);
    expect(metrics.text).toContain('alert_delivery_backlog{app="api"} 0');
  });

  it('shows the deployment an alert fired after, offers the rollback, and counts the deploy failed', async () => {
    await start(configured());
    const firing = Date.now() - 60_000;
    // v1 went live an hour before; v2 four minutes before the alert, by a member with a hostile name.
    for (const [version, liveAt, by] of [
      ['v1', firing - 60 * 60_000, 'alice'],
      ['v2', firing - 4 * 60_000, '@everyone **bob**'],
    ] as const) {
      const { deployment } = await repositories.deployments.create({
        requestId: `deploy-${version}`,
        kind: 'redeploy',
        service: 'api',
        environment: 'staging',
        ref: 'main',
        version,
        status: 'queued',
        requestedBy: { id: '1', name: by },
      });
      await repositories.deployments.transition(deployment.id, 'dispatched');
      await repositories.deployments.transition(deployment.id, 'succeeded');
      // The clock of this app is the system's: put the record where the story needs it.
      await database.db
        .updateTable('deployments')
        .set({ created_at: liveAt - 60_000, finished_at: liveAt })
        .where('id', '=', deployment.id)
        .execute();
    }
    await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .send(alertNotification([{ ...apiDown, startsAt: new Date(firing).toISOString() }]))
      .expect(202);
    const posted = await until(() => sim.channelMessages()[0]);
    expect(posted.content.split('\n')[1]).toBe(
      `🚀 Fired 4m 0s after the redeploy: api \`v1\` → \`v2\` by \\@everyone \\*\\*bob\\*\\* (live <t:${Math.floor((firing - 4 * 60_000) / 1000)}:R>)`,
    );
    const buttons = posted.components.flatMap(
      (row) => row['components'] as { label?: string; custom_id?: string }[],
    );
    expect(buttons[0]).toMatchObject({
      label: 'Roll back to v1',
      custom_id: 'alert:rollback:staging:api:v1',
    });
    const metrics = await http()
      .get('/v1/delivery/metrics?service=api&environment=staging&days=1')
      .set('Authorization', `Bearer ${SERVICE_TOKEN}`)
      .expect(200);
    expect(metrics.body.metrics).toMatchObject({ changes: 2, failures: 1 });
    // The same figures on /metrics (this is the one replica: it holds the export's lease).
    const scraped = await http().get('/metrics').expect(200);
    expect(scraped.text).toContain(
      'chatops_delivery_change_failure_ratio{service="api",environment="staging",app="api"} 0.5',
    );
  });

  it('answers the watchdog as such and never shows it (ALERT_WATCHDOG_ALERTNAME)', async () => {
    await start({ ...configured(), ALERT_WATCHDOG_ALERTNAME: 'DeadMansSwitch' });
    const watchdog = alertInstance('wd', { labels: { alertname: 'DeadMansSwitch' } });
    const res = await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .send(alertNotification([watchdog]))
      .expect(202);
    expect(res.body).toEqual({ status: 'watchdog', id: null });
    // An alert merely named like the default is an ordinary alert under another configured name.
    const other = alertInstance('w2', { labels: { alertname: 'Watchdog' } });
    const shown = await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .send(alertNotification([other]))
      .expect(202);
    expect(shown.body.status).toBe('accepted');
    await until(() => (sim.channelMessages().length ? true : undefined));
    expect(sim.channelMessages().map((m) => m.content)).toEqual([
      expect.stringMatching(/^🔥 \*\*Firing\*\*: Watchdog /),
    ]);
    const metrics = await http().get('/metrics').expect(200);
    expect(metrics.text).toContain(
      'alert_notifications_received_total{outcome="watchdog",app="api"} 1',
    );
  });

  it('wants the bearer token, compared whole', async () => {
    await start(configured());
    const body = alertNotification([apiDown]);
    for (const authorization of [
      undefined,
      `Bearer ${ALERT_TOKEN}x`,
      `Bearer ${ALERT_TOKEN.slice(1)}`,
      ALERT_TOKEN,
    ]) {
      const req = http().post('/v1/alerts/alertmanager');
      if (authorization) req.set('Authorization', authorization);
      const res = await req.send(body).expect(401);
      expect(res.body.message).toBe('a valid bearer token is required (Authorization: Bearer …)');
    }
    expect(sim.channelMessages()).toEqual([]);
  });

  it('says what is wrong with a body that is not a version 4 notification, storing nothing', async () => {
    await start(configured());
    const res = await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .send({ ...alertNotification([apiDown]), version: '3', alerts: [] })
      .expect(400);
    expect(res.body.problems).toEqual([
      'version: must be "4" (Alertmanager webhook format version 4)',
      'alerts: must hold at least one alert',
    ]);
    const broken = await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .set('content-type', 'application/json')
      .send('{"version":')
      .expect(400);
    expect(broken.body.message).toMatch(/^Malformed JSON/);
  });

  it('refuses a body over the limit with 413', async () => {
    await start(configured());
    const many = Array.from({ length: 200 }, (_, i) => alertInstance(`fp${i}`));
    const res = await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .send(alertNotification(many))
      .expect(413);
    expect(res.body.message).toMatch(/65536 bytes/);
  });

  it('answers 503 naming what to set when the intake or delivery is not configured', async () => {
    await start({});
    const off = await http().post('/v1/alerts/alertmanager').set(alertAuth).send({}).expect(503);
    expect(off.body.message).toBe('alert intake is not configured: set ALERTMANAGER_WEBHOOK_TOKEN');
    await app.close();
    await start({ ALERTMANAGER_WEBHOOK_TOKEN: ALERT_TOKEN });
    const nowhere = await http()
      .post('/v1/alerts/alertmanager')
      .set(alertAuth)
      .send({})
      .expect(503);
    expect(nowhere.body.message).toBe(
      'alert delivery is not configured: set DISCORD_TOKEN and ALERTS_CHANNEL_ID',
    );
    const list = await http()
      .get('/v1/alerts')
      .set('Authorization', `Bearer ${SERVICE_TOKEN}`)
      .expect(503);
    expect(list.body.message).toBe('Alertmanager is not configured: set ALERTMANAGER_URL');
  });
});
