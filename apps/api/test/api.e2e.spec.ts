import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { freePort, RunningProcess, startNode, waitForHttp } from '@chatops/testing';

/** The built bundle, run as the container runs it. */
const WORKSPACE = resolve(__dirname, '../../..');
const MAIN = join(WORKSPACE, 'dist/apps/api/main.js');
const CATALOG = join(WORKSPACE, 'chatops.config.yaml');
const TOKEN = 'e2e-service-token-'.padEnd(48, 'z');

function baseEnv(dir: string, port: number): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    API_SERVICE_TOKEN: TOKEN,
    CATALOG_PATH: CATALOG,
    DATABASE_URL: `sqlite:${join(dir, 'data', 'chatops.sqlite')}`,
    LOG_LEVEL: 'info',
  };
}

describe('api process', () => {
  let proc: RunningProcess | undefined;

  afterEach(async () => {
    await proc?.stop('SIGKILL');
    proc = undefined;
  });

  it('refuses to start on bad configuration, listing every problem without secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-e2e-'));
    proc = startNode(MAIN, {
      ...baseEnv(dir, 0),
      PORT: 'eighty',
      API_SERVICE_TOKEN: 'short-secret-value',
      DATABASE_URL: 'mysql://root:pw@db/x',
    });
    const { code } = await proc.exited;
    expect(code).toBe(78);
    expect(proc.output()).toBe(
      [
        'Invalid configuration:',
        '  - PORT: Invalid input: expected number, received NaN',
        '  - DATABASE_URL: must be sqlite:<path> or postgres://…',
        '  - API_SERVICE_TOKEN: must be at least 32 characters',
        '',
      ].join('\n'),
    );
    expect(proc.output()).not.toContain('short-secret-value');
  });

  it('refuses to start on an invalid catalog, naming the file and the problems', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-e2e-'));
    const catalog = join(dir, 'catalog.yaml');
    writeFileSync(catalog, 'project: Bad Name\n');
    proc = startNode(MAIN, { ...baseEnv(dir, 0), CATALOG_PATH: catalog });
    const { code } = await proc.exited;
    expect(code).toBe(78);
    expect(proc.output()).toContain(`Invalid catalog ${catalog}:`);
    expect(proc.output()).toContain('  - project: must be lowercase letters');
    expect(proc.output()).toContain(
      '  - services: Invalid input: expected array, received undefined',
    );
  });

  it('creates its SQLite database under the data directory and becomes ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-e2e-'));
    const port = await freePort();
    proc = startNode(MAIN, baseEnv(dir, port));
    const res = await waitForHttp(`http://127.0.0.1:${port}/health/ready`, { process: proc });
    expect(await res.json()).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' } },
    });
    const lines = proc
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'api listening', port }));
    expect(proc.output()).not.toContain(TOKEN);
  });

  it('on SIGTERM stops accepting, finishes the in-flight request, closes the database and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-e2e-'));
    const port = await freePort();
    proc = startNode(MAIN, baseEnv(dir, port));
    await waitForHttp(`http://127.0.0.1:${port}/health/live`, { process: proc });

    // A request whose body is still arriving when the signal lands.
    const body = JSON.stringify({
      actor: { id: '111111111111111111', name: 'alice' },
      action: 'deploy',
      outcome: 'denied',
      service: 'api',
      environment: 'staging',
    });
    const response = new Promise<{ status: number; body: string }>((resolveResponse, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/audit',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${TOKEN}`,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolveResponse({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 20));
      setTimeout(() => {
        proc!.child.kill('SIGTERM');
        setTimeout(async () => {
          // New connections are refused while the old one is still being served.
          await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
          req.end(body.slice(20));
        }, 300);
      }, 200);
    });

    const answered = await response;
    expect(answered.status).toBe(201);
    expect(JSON.parse(answered.body)).toMatchObject({ action: 'deploy', outcome: 'denied' });
    const { code } = await proc.exited;
    expect(code).toBe(0);
    expect(proc.output()).toContain('"msg":"stopped"');

    // The write survived and the database was closed cleanly (no WAL left to replay).
    const db = new BetterSqlite3(join(dir, 'data', 'chatops.sqlite'), { readonly: true });
    const rows = db.prepare('select action, outcome from audit_events').all();
    db.close();
    expect(rows).toEqual([{ action: 'deploy', outcome: 'denied' }]);
  });

  it('exits 1 after SHUTDOWN_TIMEOUT_MS when an in-flight request never finishes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-e2e-'));
    const port = await freePort();
    proc = startNode(MAIN, { ...baseEnv(dir, port), SHUTDOWN_TIMEOUT_MS: '300' });
    await waitForHttp(`http://127.0.0.1:${port}/health/live`, { process: proc });
    const stuck = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/audit',
      headers: {
        'content-type': 'application/json',
        'content-length': 1000,
        authorization: `Bearer ${TOKEN}`,
      },
    });
    stuck.on('error', () => undefined);
    stuck.write('{"actor":');
    await new Promise((r) => setTimeout(r, 200));
    const signalled = Date.now();
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(proc.output()).toContain('in-flight requests did not finish; exiting');
    stuck.destroy();
  });
});
