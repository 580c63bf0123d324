import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

// Tags: type:app|feature|data-access|util|testing and scope:api|bot|shared (see README "Project
// map"). The constraints keep the arrows pointing from apps to libs and from features to
// utilities. `tools` (type:e2e, scope:workspace) holds the tests across apps: it may use any lib,
// and no project may use it (no constraint lets anything depend on those tags). `type:testing`
// (the stand-ins, the simulator kit, the test helpers) is for tests only: production code cannot
// import it; spec files, test folders, the sandbox and the benchmarks that drive it can.
const LAYERS = {
  'type:app': ['type:feature', 'type:data-access', 'type:util'],
  'type:feature': ['type:feature', 'type:data-access', 'type:util'],
  'type:data-access': ['type:data-access', 'type:util'],
  'type:util': ['type:util'],
  'type:testing': ['type:testing', 'type:data-access', 'type:util'],
};

/** The module-boundary rule, with `type:testing` allowed to every layer when `testing` is set. */
function moduleBoundaries({ testing }) {
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: [],
      depConstraints: [
        ...Object.entries(LAYERS).map(([sourceTag, tags]) => ({
          sourceTag,
          onlyDependOnLibsWithTags: testing ? [...new Set([...tags, 'type:testing'])] : tags,
        })),
        { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:api', 'scope:shared'] },
        { sourceTag: 'scope:bot', onlyDependOnLibsWithTags: ['scope:bot', 'scope:shared'] },
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
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
