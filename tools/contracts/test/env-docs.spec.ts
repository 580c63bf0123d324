import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Every environment variable the code reads is documented: the product's (apps, libs, the
 * sandbox and launcher) in .env.example, the rollout tool's in its README, each benchmark's in
 * its README, the test harness's (libs/testing/sim-kit) in its README. Found in the sources the
 * way they read it: `process.env['X']`, `process.env.X`,
 * `env['X']` on a passed-in environment, and the keys of the apps' configuration schemas.
 */
const ROOT = resolve(__dirname, '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Set by the operating system or the CI runner, never by a person configuring us. */
const PLATFORM = new Set(['PATH', 'HOME', 'NX_SKIP_NX_CACHE', 'JEST_WORKER_ID']);

const READS = /(?:process\.)?\benv(?:\[['"]([A-Z][A-Z0-9_]+)['"]\]|\.([A-Z][A-Z0-9_]+)\b)/g;
const SCHEMA_KEY = /^\s+([A-Z][A-Z0-9_]+):/gm;

function variablesIn(text: string): string[] {
  return [...text.matchAll(READS)].map((m) => m[1] ?? m[2] ?? '');
}

function sources(): string[] {
  return execFileSync('git', ['ls-files', 'apps', 'libs', 'tools', 'bench'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /\.(ts|mjs|cjs)$/.test(f))
    .filter((f) => !/\.spec\.ts$|\/test\/|jest\.config\.cjs$|webpack\.config\.cjs$/.test(f));
}

/** Which document a source file's variables belong in. */
function documentFor(file: string): string {
  if (file.startsWith('tools/rollout/')) return 'tools/rollout/README.md';
  // The test harness's conformance checks: read by whoever runs or writes tests.
  if (file.startsWith('libs/testing/sim-kit/')) return 'libs/testing/sim-kit/README.md';
  const bench = /^bench\/([^/]+)\//.exec(file);
  if (bench) return `bench/${bench[1]}/README.md`;
  return '.env.example';
}

function undocumented(): string[] {
  const documents = new Map<string, string>();
  const missing = new Set<string>();
  for (const file of sources()) {
    const text = read(file);
    const names = variablesIn(text);
    if (/^apps\/[^/]+\/src\/config\.ts$/.test(file))
      names.push(...[...text.matchAll(SCHEMA_KEY)].map((m) => m[1] ?? ''));
    const document = documentFor(file);
    if (!documents.has(document)) documents.set(document, read(document));
    const documented = documents.get(document) ?? '';
    for (const name of names) {
      if (PLATFORM.has(name)) continue;
      const mentioned =
        document === '.env.example'
          ? new RegExp(`^#?\\s*${name}=`, 'm').test(documented)
          : documented.includes(name);
      if (!mentioned) missing.add(`${name} (read in ${file}; document it in ${document})`);
    }
  }
  return [...missing].sort();
}

describe('environment variables', () => {
  it('every variable the code reads is documented where its users look', () => {
    expect(undocumented()).toEqual([]);
  });

  it('finds the ways the code reads them (so the check above can fail)', () => {
    expect(
      variablesIn(
        `const a = process.env['ONE']; const b = process.env.TWO; const c = env["THREE"]; io.env['FOUR'];`,
      ),
    ).toEqual(['ONE', 'TWO', 'THREE', 'FOUR']);
    expect(variablesIn(`const x = process.env['lowercase'] ?? environment['NOT_ENV']`)).toEqual([]);
  });

  it('.env.example names each variable once, with a comment above it', () => {
    const lines = read('.env.example').split('\n');
    const names = lines.map((l) => /^([A-Z][A-Z0-9_]+)=/.exec(l)?.[1]).filter(Boolean);
    expect(names.length).toBeGreaterThan(30);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const bare = lines
      .map((line, i) => ({ line, above: lines[i - 1] ?? '' }))
      .filter(({ line }) => /^[A-Z][A-Z0-9_]+=/.test(line))
      .filter(({ above }) => !/^(#|[A-Z][A-Z0-9_]+=)/.test(above));
    expect(bare.map((b) => b.line)).toEqual([]);
  });
});
