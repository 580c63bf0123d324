import { existsSync, mkdtempSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxStore, sandboxStorage } from './saved-state';

describe('SandboxStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-store-'));
  });

  it('keeps the database and the stand-ins together under SANDBOX_DATA_DIR (default data/sandbox)', () => {
    expect(sandboxStorage('/repo', {})).toMatchObject({
      databaseUrl: 'sqlite:/repo/data/sandbox/chatops.sqlite',
      store: { dir: '/repo/data/sandbox', databaseFile: '/repo/data/sandbox/chatops.sqlite' },
    });
    expect(sandboxStorage('/repo', { SANDBOX_DATA_DIR: 'tmp/a' }).store.dir).toBe('/repo/tmp/a');
    expect(
      sandboxStorage('/repo', { DATABASE_URL: 'sqlite:./x/db.sqlite' }).store.databaseFile,
    ).toBe('/repo/x/db.sqlite');
    expect(
      sandboxStorage('/repo', { DATABASE_URL: 'postgres://u:p@h/db' }).store.databaseFile,
    ).toBeNull();
  });

  it('saves whole files (private), only when they changed, and loads them back', () => {
    const store = new SandboxStore(join(dir, 'state'), null);
    expect(store.load('github')).toBeNull();
    store.save('github', { runs: [1] });
    const path = join(dir, 'state', 'github.json');
    const first = statSync(path).mtimeMs;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    store.save('github', { runs: [1] });
    expect(statSync(path).mtimeMs).toBe(first);
    store.save('github', { runs: [1, 2] });
    expect(new SandboxStore(join(dir, 'state'), null).load('github')).toEqual({ runs: [1, 2] });
  });

  it('says how to start again when a state file is damaged', () => {
    const store = new SandboxStore(dir, null);
    writeFileSync(join(dir, 'aws.json'), '{"hosts": [');
    expect(() => store.load('aws')).toThrow(
      /aws\.json is not valid JSON \(.+\): start with `npm start -- --reset` to begin again/,
    );
  });

  it('finds a database without the stand-ins, or stand-ins without their database', () => {
    const database = join(dir, 'chatops.sqlite');
    const store = new SandboxStore(join(dir, 'sandbox'), database);
    expect(store.problems()).toEqual([]);
    writeFileSync(database, '');
    expect(store.problems()).toEqual([
      expect.stringMatching(
        /chatops\.sqlite holds deployments from a sandbox that did not keep GitHub's, AWS's and Discord's state beside it: start with `npm start -- --reset`/,
      ),
    ]);
    store.claim();
    expect(store.problems()).toEqual([]);
    store.reset();
    expect(existsSync(database)).toBe(false);
    expect(existsSync(join(dir, 'sandbox'))).toBe(false);
    store.claim();
    expect(store.problems()).toEqual([
      expect.stringMatching(/holds the stand-ins' state but its database .* is gone/),
    ]);
  });

  it('reset removes the SQLite side files and Alertmanager data too', () => {
    const database = join(dir, 'db.sqlite');
    const store = new SandboxStore(join(dir, 'kept'), database);
    for (const suffix of ['', '-wal', '-shm']) writeFileSync(`${database}${suffix}`, 'x');
    mkdirSync(store.alertmanagerDir, { recursive: true });
    writeFileSync(join(store.alertmanagerDir, 'silences'), 'x');
    store.save('discord', { a: 1 });
    store.reset();
    for (const suffix of ['', '-wal', '-shm'])
      expect(existsSync(`${database}${suffix}`)).toBe(false);
    expect(existsSync(store.alertmanagerDir)).toBe(false);
    // After a reset the same content is written again (nothing thinks it is already there).
    store.save('discord', { a: 1 });
    expect(readFileSync(join(dir, 'kept', 'discord.json'), 'utf8')).toBe('{"a":1}');
  });
});
