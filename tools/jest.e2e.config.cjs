// Runs the README's run command (the sandbox launcher) against the built apps.
module.exports = {
  ...require('../libs/testing/sim-kit/jest.preset.cjs'),
  displayName: 'tools-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.e2e.spec.ts'],
  testTimeout: 60_000,
};
