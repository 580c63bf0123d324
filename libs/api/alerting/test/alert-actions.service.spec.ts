import { catalogSchema, Refusal } from '@chatops/domain';
import {
  createRepositories,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
} from '@chatops/persistence';
import {
  alertInstance,
  alertNotification,
  freePort,
  resolved,
  startAlertmanager,
  type MonitoringServer,
} from '@chatops/testing';
import { AlertActions } from '../src/alert-actions.service';
import { HttpAlertmanagerRepository } from '@chatops/alertmanager';
import { ALERT_TOPIC } from '../src/topic';

const catalog = catalogSchema.parse({
  project: 'chatops',
  github: { owner: 'acme', repo: 'chatops' },
  services: [
    { name: 'api', workflow: 'deploy.yml', image: 'x/api', healthUrl: 'https://h/health' },
  ],
  environments: [{ name: 'staging' }, { name: 'prod' }],
  roles: {
    developer: { '*': ['view'], staging: ['silence'] },
    sre: { '*': ['*'] },
  },
});

const member = (name: string, role: string) => ({
  actor: { id: `id-${name}`, name },
  roles: { ids: [], names: [role] },
  source: 'discord:test',
});
const alice = member('alice', 'developer');
const carol = member('carol', 'sre');
const stranger = member('mallory', 'nobody');

let alertmanager: MonitoringServer;
let handle: DatabaseHandle;
let repos: Repositories;
let actions: AlertActions;

beforeAll(async () => {
  alertmanager = await startAlertmanager(
    'route: { receiver: none }\nreceivers: [{ name: none }]\n',
  );
}, 60_000);
afterAll(() => alertmanager?.stop());

beforeEach(async () => {
  handle = await openDatabase('sqlite::memory:');
  repos = createRepositories(handle);
  actions = new AlertActions(catalog, repos, new HttpAlertmanagerRepository(alertmanager.url));
  // Nothing left from the previous test: expire every silence.
  const am = new HttpAlertmanagerRepository(alertmanager.url);
  for (const s of await am.listSilences()) if (s.state !== 'expired') await am.expireSilence(s.id);
});
afterEach(() => handle.close());

async function fire(labels: Record<string, string>) {
  const res = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels, annotations: { summary: `${labels['alertname']} fires` } }]),
  });
  expect(res.status).toBe(200);
}

async function stagingGroup() {
  const alert = alertInstance('a1', {
    labels: { alertname: 'ApiDown', environment: 'staging', service: 'api' },
  });
  return (await repos.alertGroups.apply(alertNotification([alert]))).group;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => (error instanceof Refusal ? [error.reason, error.message] : error),
  );

describe('AlertActions against a real Alertmanager', () => {
  it('lists what fires, per environment, from Alertmanager', async () => {
    await fire({
      alertname: 'HighCpu',
      environment: 'staging',
      severity: 'warning',
      instance: 'h1',
    });
    await fire({ alertname: 'LowDisk', environment: 'prod', severity: 'critical' });
    const staging = await actions.listAlerts('staging', alice);
    expect(staging.map((a) => [a.name, a.severity, a.summary, a.state])).toEqual([
      ['HighCpu', 'warning', 'HighCpu fires', 'active'],
    ]);
    expect((await actions.listAlerts(null, alice)).map((a) => a.name).sort()).toEqual([
      'HighCpu',
      'LowDisk',
    ]);
    expect(await refusal(actions.listAlerts('qa', alice))).toEqual([
      'invalid',
      'unknown environment `qa` (known: staging, prod)',
    ]);
    expect(await refusal(actions.listAlerts('staging', stranger))).toEqual([
      'denied',
      'you need the `view` permission on `staging`',
    ]);
  });

  it('silences a group for 1h by its common labels, audits it and re-renders its message', async () => {
    const group = await stagingGroup();
    const before = Date.now();
    const result = await actions.silenceGroup(group.id, '1h', alice);
    expect(result.matchers.map((m) => `${m.name}=${m.value}`)).toEqual([
      'alertname=ApiDown',
      'environment=staging',
      'instance=a1:9100',
      'service=api',
      'severity=critical',
    ]);
    expect(result.endsAt - before).toBeGreaterThanOrEqual(3_600_000 - 1000);
    const [silence] = (await actions.listSilences(alice)).silences;
    expect(silence).toMatchObject({ id: result.silenceId, state: 'active', createdBy: 'alice' });
    expect(silence?.comment).toContain('Silenced for 1h from Discord by alice');
    expect((await repos.alertGroups.get(group.id))?.silence).toMatchObject({
      id: result.silenceId,
      by: 'alice',
    });
    expect((await repos.outbox.backlog()).find((b) => b.topic === ALERT_TOPIC)?.pending).toBe(1);
    const [audit] = await repos.audit.list({ limit: 1 });
    expect(audit).toMatchObject({
      action: 'silence',
      outcome: 'succeeded',
      environment: 'staging',
    });
  });

  it('refuses a silence without the permission on that environment, audited, with nothing created', async () => {
    const alert = alertInstance('p1', { labels: { alertname: 'ApiDown', environment: 'prod' } });
    const { group } = await repos.alertGroups.apply(alertNotification([alert]));
    expect(await refusal(actions.silenceGroup(group.id, '4h', alice))).toEqual([
      'denied',
      'you need the `silence` permission on `prod`',
    ]);
    expect((await actions.listSilences(alice)).silences).toEqual([]);
    expect((await repos.audit.list({ limit: 1 }))[0]).toMatchObject({
      action: 'silence',
      outcome: 'denied',
      environment: 'prod',
    });
    expect(await refusal(actions.silenceGroup(999, '1h', alice))).toEqual([
      'not-found',
      'alert group 999 not found',
    ]);
  });

  it('refuses to silence a resolved group', async () => {
    const a = alertInstance('r1', { labels: { alertname: 'X', environment: 'staging' } });
    await repos.alertGroups.apply(alertNotification([a]));
    const { group } = await repos.alertGroups.apply(alertNotification([resolved(a)]));
    expect(await refusal(actions.silenceGroup(group.id, '1h', alice))).toEqual([
      'conflict',
      'this alert has resolved: nothing to silence',
    ]);
  });

  it('expires a silence for someone allowed to, and clears it from the group message', async () => {
    const group = await stagingGroup();
    const { silenceId } = await actions.silenceGroup(group.id, '1h', alice);
    expect(await actions.listSilences(stranger).catch((e: Error) => e.message)).toBe(
      'you need the `view` permission',
    );
    expect((await actions.listSilences(alice)).canExpire).toBe(true);
    const expired = await actions.expireSilence(silenceId, carol);
    expect(expired.state).toBe('expired');
    expect((await actions.listSilences(alice)).silences).toEqual([]);
    expect((await repos.alertGroups.get(group.id))?.silence).toBeNull();
    expect(await refusal(actions.expireSilence(silenceId, carol))).toEqual([
      'conflict',
      `silence ${silenceId} has already expired`,
    ]);
    expect(
      await refusal(actions.expireSilence('00000000-0000-0000-0000-000000000000', carol)),
    ).toEqual(['not-found', 'silence 00000000-0000-0000-0000-000000000000 not found']);
  });

  it('says Alertmanager is unreachable, or not configured', async () => {
    const down = new AlertActions(
      catalog,
      repos,
      new HttpAlertmanagerRepository(`http://127.0.0.1:${await freePort()}`),
    );
    expect(await refusal(down.listAlerts(null, alice))).toEqual([
      'alertmanager',
      'Alertmanager is unreachable (ECONNREFUSED)',
    ]);
    const none = new AlertActions(catalog, repos, null);
    expect(await refusal(none.listSilences(alice))).toEqual([
      'not-configured',
      'Alertmanager is not configured: set ALERTMANAGER_URL',
    ]);
  });
});
