import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

// Tags: type:app|feature|data-access|util|testing and scope:api|bot|shared|testing. A lib's scope
// is the folder it sits in (`libs/<scope>/<name>`, checked in tools/contracts/test/workspace.spec.ts). The
// constraints keep the arrows pointing from apps to libs and from features to utilities; API code
// never reaches bot code nor the reverse, and shared code reaches neither. `tools` (type:e2e,
// scope:workspace) holds the tests across apps: it may use any lib, and no project may use it (no
// constraint lets anything depend on those tags). `libs/testing/*` (the stand-ins, the simulator
// kit, the test helpers) is for tests only: production code cannot import it; spec files, test
// folders, the sandbox and the benchmarks that drive it can.
const LAYERS = {
  'type:app': ['type:feature', 'type:data-access', 'type:util'],
  'type:feature': ['type:feature', 'type:data-access', 'type:util'],
  'type:data-access': ['type:data-access', 'type:util'],
  'type:util': ['type:util'],
  'type:testing': ['type:testing', 'type:data-access', 'type:util'],
};
const SCOPES = {
  'scope:api': ['scope:api', 'scope:shared'],
  'scope:bot': ['scope:bot', 'scope:shared'],
  'scope:shared': ['scope:shared'],
  'scope:testing': ['scope:testing', 'scope:shared'],
};

/** The module-boundary rule; with `testing` set, the test libraries are allowed to every project. */
function moduleBoundaries({ testing }) {
  const withTesting = (tags, testingTag) => (testing ? [...new Set([...tags, testingTag])] : tags);
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: [],
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

/** Where test-only code may be imported. */
export const TEST_CODE = [
  '**/*.spec.ts',
  '**/test/**/*.ts',
  'tools/sandbox/**/*.ts',
  'bench/**/*.ts',
];

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
