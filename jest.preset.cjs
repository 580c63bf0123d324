// Shared Jest settings. SWC keeps transforms fast and emits the decorator metadata NestJS needs;
// workspace imports (@chatops/*) resolve to library sources, as tsconfig.base.json maps them.
const path = require('node:path');
const { paths } = require('./tsconfig.base.json').compilerOptions;

module.exports = {
  testEnvironment: 'node',
  transform: {
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
