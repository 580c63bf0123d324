// Shared Jest settings. SWC keeps transforms fast and emits the decorator metadata NestJS needs;
// workspace imports (@chatops/*) resolve to library sources, as tsconfig.base.json maps them.
// Tests that drive the stand-ins use libs/testing/sim-kit/jest.preset.cjs (this, plus the
// conformance check).
const path = require('node:path');
const { paths } = require('./tsconfig.base.json').compilerOptions;

// ESM-only packages (Octokit and its helpers) are compiled to CommonJS for Jest's runtime;
// Node itself loads them as they are (require(esm)).
const ESM_PACKAGES = [
  '@octokit',
  'universal-user-agent',
  'before-after-hook',
  'json-with-bigint',
  'toad-cache',
  'universal-github-app-jwt',
  // Discord's description as zod schemas (libs/testing/sim-kit).
  'discord-api-spec',
];

module.exports = {
  testEnvironment: 'node',
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  transform: {
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: Object.fromEntries(
    Object.entries(paths).map(([alias, [target]]) => [
      `^${alias.replace('/', '\\/')}$`,
      path.join(__dirname, target),
    ]),
  ),
  testMatch: ['**/?(*.)+(spec).ts'],
  clearMocks: true,
};
