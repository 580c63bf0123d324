import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Tags: type:app|feature|data-access|util|testing and scope:api|bot|shared|testing. A lib's scope
// is the folder it sits in (`libs/<scope>/<name>`, checked in tools/contracts/test/workspace.spec.ts). The
// constraints keep the arrows pointing from apps to libs and from features to utilities; API code
// never reaches bot code nor the reverse, and shared code reaches neither. `tools` (type:e2e,
// scope:workspace) holds the tests across apps: it may use any lib, and no project may use it (no
// constraint lets anything depend on those tags). `libs/testing/*` (the stand-ins, the simulator
// kit, the test helpers) is for tests only: production code, its own spec files included, cannot
// import it; test projects, the sandbox and the benchmarks that drive it can.
//
// A project's tests that drive a stand-in or use the test helpers live in its test project
// (`<project>/test`, tagged type:test and its parent's scope), not in its own spec files, so a
// change to a stand-in never makes the production project affected: spec files inside a production
// project may use only what the project itself may. A test project reads its parent's internals by
// relative path (`../src/...`), and nothing depends on a test project.
const LAYERS = {
  'type:app': ['type:feature', 'type:data-access', 'type:util'],
  'type:feature': ['type:feature', 'type:data-access', 'type:util'],
  'type:data-access': ['type:data-access', 'type:util'],
  'type:util': ['type:util'],
  'type:testing': ['type:testing', 'type:data-access', 'type:util'],
  'type:test': ['type:feature', 'type:data-access', 'type:util'],
};
const SCOPES = {
  'scope:api': ['scope:api', 'scope:shared'],
  'scope:bot': ['scope:bot', 'scope:shared'],
  'scope:shared': ['scope:shared'],
  'scope:testing': ['scope:testing', 'scope:shared'],
};

/** The module-boundary rule; with `testing` set, the test libraries are allowed to every project. */
function moduleBoundaries({ testing, parentInternals = false }) {
  const withTesting = (tags, testingTag) => (testing ? [...new Set([...tags, testingTag])] : tags);
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      // A test project (tests kept flat in `<project>/test`) reaches its parent's sources.
      allow: parentInternals ? ['../src/**'] : [],
      depConstraints: [
        ...Object.entries(LAYERS).map(([sourceTag, tags]) => ({
          sourceTag,
          onlyDependOnLibsWithTags: withTesting(tags, 'type:testing'),
        })),
        ...Object.entries(SCOPES).map(([sourceTag, tags]) => ({
          sourceTag,
          onlyDependOnLibsWithTags: withTesting(tags, 'scope:testing'),
        })),
        { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
        { sourceTag: 'scope:workspace', onlyDependOnLibsWithTags: ['*'] },
      ],
    },
  ];
}

/** The test projects' folders: every project.json tagged type:test under apps, libs and tools. */
const WORKSPACE = dirname(fileURLToPath(import.meta.url));
function testProjectRoots(dir = WORKSPACE, depth = 0) {
  const project = join(dir, 'project.json');
  if (existsSync(project) && JSON.parse(readFileSync(project, 'utf8')).tags?.includes('type:test'))
    return [relative(WORKSPACE, dir)];
  if (depth > 4) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && (depth > 0 || ['apps', 'libs', 'tools'].includes(e.name)))
    .filter((e) => !['node_modules', 'dist', 'src'].includes(e.name))
    .flatMap((e) => testProjectRoots(join(dir, e.name), depth + 1));
}

export const TEST_PROJECTS = testProjectRoots().map((root) => `${root}/**/*.ts`);

/** Outside the test projects, where test-only code may be imported: the sandbox and benchmarks. */
export const TEST_CODE = ['tools/sandbox/**/*.ts', 'bench/**/*.ts'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/coverage', '**/data'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ testing: false }),
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
    },
  },
  {
    // Benchmarks and command-line tools print their results.
    files: ['bench/**/*.ts', 'tools/sandbox/src/chat.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: TEST_CODE,
    rules: { '@nx/enforce-module-boundaries': moduleBoundaries({ testing: true }) },
  },
  ...(TEST_PROJECTS.length
    ? [
        {
          files: TEST_PROJECTS,
          rules: {
            '@nx/enforce-module-boundaries': moduleBoundaries({
              testing: true,
              parentInternals: true,
            }),
          },
        },
      ]
    : []),
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests read raw protocol payloads.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
];
