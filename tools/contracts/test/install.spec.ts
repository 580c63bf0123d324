import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * One install everywhere: the lockfile is complete for every platform (so `npm ci` accepts it on
 * any machine, GitHub's runners and the image builds included), every place that installs the
 * workspace uses `npm ci`, and CI fails when a step wrote into the tree.
 */
const ROOT = resolve(__dirname, '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}
interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** Where node would find `name` from the package installed at `from` (lockfile keys). */
function resolveFrom(lock: Lockfile, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at < 0 ? '' : dir.slice(0, at);
  }
}

/** Optional dependencies the lockfile does not list: what makes `npm ci` refuse it. */
function missingOptionalDependencies(lock: Lockfile): string[] {
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      if (!resolveFrom(lock, path, name)) missing.push(`${path || '(root)'} → ${name}`);
    }
  }
  return missing;
}

describe('package-lock.json', () => {
  const lock = JSON.parse(read('package-lock.json')) as Lockfile;

  it('lists every optional (platform) dependency, so npm ci accepts it on any machine', () => {
    expect(lock.lockfileVersion).toBe(3);
    expect(missingOptionalDependencies(lock)).toEqual([]);
    // The platforms other than this one are there too (not only what this machine installs).
    for (const name of [
      '@swc/core-darwin-arm64',
      '@swc/core-win32-x64-msvc',
      'sass-embedded-darwin-arm64',
      '@unrs/resolver-binding-darwin-arm64',
    ])
      expect(Object.keys(lock.packages)).toContain(`node_modules/${name}`);
  });

  it('the check finds a platform package the lockfile lacks', () => {
    const broken: Lockfile = {
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { a: '1.0.0' } },
        'node_modules/a': { version: '1.0.0', optionalDependencies: { 'a-darwin': '1.0.0' } },
        'node_modules/b/node_modules/c': { optionalDependencies: { 'a-linux': '1.0.0' } },
        'node_modules/a-linux': { version: '1.0.0' },
      },
    };
    expect(missingOptionalDependencies(broken)).toEqual(['node_modules/a → a-darwin']);
  });

  it('pins every direct dependency to one version', () => {
    const pkg = JSON.parse(read('package.json')) as Record<string, Record<string, string>>;
    const ranges = Object.entries({ ...pkg['dependencies'], ...pkg['devDependencies'] }).filter(
      ([, version]) => !/^\d+\.\d+\.\d+$/.test(version),
    );
    expect(ranges).toEqual([]);
  });
});

describe('every install is npm ci', () => {
  const workflows = join(ROOT, '.github/workflows');
  const runs = readdirSync(workflows)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((file) => {
      const jobs = (parse(read(`.github/workflows/${file}`)) as { jobs: Record<string, unknown> })
        .jobs;
      return Object.values(jobs).flatMap((job) =>
        ((job as { steps?: { run?: string }[] }).steps ?? []).map((s) => ({
          where: file,
          text: s.run ?? '',
        })),
      );
    });
  const sources = [
    { where: '.ci/run', text: read('.ci/run') },
    { where: 'tools/sandbox/start.mjs', text: read('tools/sandbox/start.mjs') },
    { where: 'apps/api/Dockerfile', text: read('apps/api/Dockerfile') },
    { where: 'apps/bot/Dockerfile', text: read('apps/bot/Dockerfile') },
    ...runs,
  ];

  it('no script, workflow or image installs with npm install (which rewrites the lockfile)', () => {
    const installs = sources.filter((s) => /\bnpm (install|i|add)\b(?! -g)/.test(s.text));
    expect(installs.map((s) => s.where)).toEqual([]);
  });

  it('CI, the launcher, ci.yml, deploy.yml and both Dockerfiles run npm ci', () => {
    const withCi = new Set(sources.filter((s) => /\bnpm ci\b/.test(s.text)).map((s) => s.where));
    for (const where of [
      '.ci/run',
      'tools/sandbox/start.mjs',
      'apps/api/Dockerfile',
      'apps/bot/Dockerfile',
      'ci.yml',
      'deploy.yml',
    ])
      expect(withCi).toContain(where);
  });

  it('.ci/run and ci.yml fail when the suite left the tree changed', () => {
    const ciRun = read('.ci/run');
    expect(ciRun.indexOf('git status --porcelain')).toBeGreaterThan(ciRun.indexOf('npm test'));
    expect(ciRun).toMatch(/if \[ -n "\$dirty" \][\s\S]*exit 1/);
    const ci = runs.filter((r) => r.where === 'ci.yml').map((r) => r.text);
    const affected = ci.findIndex((t) => /npx nx affected/.test(t));
    const clean = ci.findIndex((t) => /git status --porcelain/.test(t) && /exit 1/.test(t));
    expect(affected).toBeGreaterThanOrEqual(0);
    expect(clean).toBeGreaterThan(affected);
  });
});
