import { freePort, startAlertmanager, type MonitoringServer } from '@chatops/testing';
import { AlertmanagerError, HttpAlertmanagerRepository } from '../src/alertmanager.repository';

/** The repository against a real Alertmanager (the binary from Debian), through its API v2. */
let alertmanager: MonitoringServer;
let am: HttpAlertmanagerRepository;

beforeAll(async () => {
  alertmanager = await startAlertmanager(
    'route: { receiver: none }\nreceivers: [{ name: none }]\n',
  );
  am = new HttpAlertmanagerRepository(alertmanager.url);
}, 60_000);
afterAll(() => alertmanager?.stop());

async function fire(labels: Record<string, string>) {
  const res = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels, annotations: { summary: `${labels['alertname']} fires` } }]),
  });
  expect(res.status).toBe(200);
}

describe('HttpAlertmanagerRepository', () => {
  it('lists what fires, filtered by environment, with its labels and summary', async () => {
    await fire({ alertname: 'ApiDown', environment: 'staging', severity: 'critical' });
    await fire({ alertname: 'DiskFull', environment: 'prod', severity: 'warning' });
    const staging = await am.listAlerts({ environment: 'staging' });
    expect(staging).toEqual([
      expect.objectContaining({
        name: 'ApiDown',
        severity: 'critical',
        summary: 'ApiDown fires',
        state: 'active',
        silencedBy: [],
      }),
    ]);
    expect((await am.listAlerts()).map((a) => a.name).sort()).toEqual(['ApiDown', 'DiskFull']);
  });

  it('names the version it runs', async () => {
    expect(await am.version()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('creates a silence, reads it back, expires it; an unknown one is null', async () => {
    const now = Date.now();
    const id = await am.createSilence({
      matchers: [{ name: 'environment', value: 'prod', isRegex: false, isEqual: true }],
      startsAt: now,
      endsAt: now + 3_600_000,
      createdBy: 'alice',
      comment: 'maintenance "window" <b>',
    });
    expect(await am.getSilence(id)).toMatchObject({
      id,
      state: 'active',
      createdBy: 'alice',
      comment: 'maintenance "window" <b>',
    });
    await am.expireSilence(id);
    expect((await am.getSilence(id))?.state).toBe('expired');
    expect(await am.getSilence('00000000-0000-0000-0000-000000000000')).toBeNull();
  });

  it("says what went wrong: Alertmanager's refusal with its status, or no answer", async () => {
    const refused = await am
      .createSilence({ matchers: [], startsAt: 0, endsAt: 1, createdBy: 'x', comment: 'x' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AlertmanagerError);
    expect(refused).toMatchObject({
      status: 422,
      message: expect.stringMatching(/^Alertmanager answered 422: /),
    });
    const down = new HttpAlertmanagerRepository(`http://127.0.0.1:${await freePort()}`, 500);
    await expect(down.listSilences()).rejects.toMatchObject({
      status: null,
      message: 'Alertmanager is unreachable (ECONNREFUSED)',
    });
  });
});
