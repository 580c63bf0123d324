import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

/** The stand-ins whose state is kept beside the sandbox's database. */
export type StandIn = 'discord' | 'github' | 'aws' | 'console';

const MANIFEST = 'sandbox.json';

/**
 * Where a sandbox keeps what must outlive it: the API's SQLite database and every stand-in's
 * state (`<name>.json`, written whole and renamed into place on every change, so a killed sandbox
 * leaves the last complete state), plus Alertmanager's data directory. Restored together, they
 * agree: the runs GitHub knows are the runs the database tracks.
 */
export class SandboxStore {
  private readonly written = new Map<StandIn, string>();

  constructor(
    readonly dir: string,
    /** The SQLite file the API uses, when it is one (PostgreSQL: null). */
    readonly databaseFile: string | null,
  ) {}

  get alertmanagerDir(): string {
    return join(this.dir, 'alertmanager');
  }

  /** A stand-in's saved state, or null when there is none (a first start). */
  load<T>(name: StandIn): T | null {
    const path = this.path(name);
    if (!existsSync(path)) return null;
    const text = readFileSync(path, 'utf8');
    try {
      const value = JSON.parse(text) as T;
      this.written.set(name, text);
      return value;
    } catch (error) {
      throw new Error(
        `${this.show(path)} is not valid JSON (${(error as Error).message}): start with \`npm start -- --reset\` to begin again`,
      );
    }
  }

  /** The catalog the sandbox's API and bot read: the user's, with the stand-ins' additions. */
  get catalogPath(): string {
    return join(this.dir, 'catalog.json');
  }

  /** Written anew at each start (the user's catalog may have changed), renamed into place. */
  saveCatalog(text: string): void {
    mkdirSync(this.dir, { recursive: true });
    const temporary = `${this.catalogPath}.${process.pid}.tmp`;
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, this.catalogPath);
  }

  /** The variables the sandbox gave its API, as an env file (`npm run doctor -- --dotenv`). */
  get apiEnvPath(): string {
    return join(this.dir, 'api.env');
  }

  /** Written anew at each start, readable by its owner only (it holds this start's tokens). */
  saveApiEnv(variables: Record<string, string>): void {
    mkdirSync(this.dir, { recursive: true });
    const lines = Object.entries(variables)
      .filter(([name, value]) => /^[A-Z][A-Z0-9_]*$/.test(name) && !/[\n"]/.test(value))
      .map(([name, value]) => `${name}="${value}"`);
    const temporary = `${this.apiEnvPath}.${process.pid}.tmp`;
    writeFileSync(temporary, `${lines.join('\n')}\n`, { mode: 0o600 });
    renameSync(temporary, this.apiEnvPath);
  }

  /** Writes the state when it changed: a whole new file renamed over the old one. */
  save(name: StandIn, value: unknown): void {
    const text = JSON.stringify(value);
    if (this.written.get(name) === text) return;
    mkdirSync(this.dir, { recursive: true });
    const path = this.path(name);
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, path);
    this.written.set(name, text);
  }

  /**
   * Problems that make the saved pieces disagree: a database without the stand-ins' state (from
   * a sandbox that did not keep it) or stand-ins without their database. Empty when coherent.
   */
  problems(): string[] {
    const manifest = existsSync(join(this.dir, MANIFEST));
    const database = this.databaseFile !== null && existsSync(this.databaseFile);
    if (this.databaseFile === null || manifest === database) return [];
    return manifest
      ? [
          `${this.show(this.dir)} holds the stand-ins' state but its database ${this.show(this.databaseFile)} is gone: start with \`npm start -- --reset\` to begin again`,
        ]
      : [
          `${this.show(this.databaseFile)} holds deployments from a sandbox that did not keep GitHub's, AWS's and Discord's state beside it: start with \`npm start -- --reset\` to begin again (it deletes that file)`,
        ];
  }

  /** Marks the directory as one sandbox's (database and stand-ins created together). */
  claim(): void {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, MANIFEST);
    if (!existsSync(path))
      writeFileSync(
        path,
        JSON.stringify({ version: 1, createdAt: new Date().toISOString() }, null, 2),
      );
  }

  /** Deletes everything kept: the stand-ins' state, Alertmanager's data and the SQLite database. */
  reset(): void {
    rmSync(this.dir, { recursive: true, force: true });
    if (this.databaseFile)
      for (const suffix of ['', '-wal', '-shm', '-journal'])
        rmSync(`${this.databaseFile}${suffix}`, { force: true });
    this.written.clear();
  }

  private path(name: StandIn): string {
    return join(this.dir, `${name}.json`);
  }

  private show(path: string): string {
    const shown = relative(process.cwd(), path);
    return shown && !shown.startsWith('..') ? shown : path;
  }
}

/**
 * The sandbox's data directory (SANDBOX_DATA_DIR, default `data/sandbox`) and its database:
 * DATABASE_URL when set, otherwise SQLite inside that directory.
 */
export function sandboxStorage(
  root: string,
  env: NodeJS.ProcessEnv,
): { store: SandboxStore; databaseUrl: string } {
  const dir = resolve(root, env['SANDBOX_DATA_DIR'] || join('data', 'sandbox'));
  const databaseUrl = env['DATABASE_URL'] || `sqlite:${join(dir, 'chatops.sqlite')}`;
  const sqlite = /^sqlite:(.+)$/.exec(databaseUrl)?.[1];
  const databaseFile =
    sqlite && sqlite !== ':memory:' ? (isAbsolute(sqlite) ? sqlite : resolve(root, sqlite)) : null;
  return { store: new SandboxStore(dir, databaseFile), databaseUrl };
}
