// Runs the built bundle (dist/apps/bot) as a real process: the e2e target depends on build.
module.exports = {
  ...require('../../../libs/testing/sim-kit/jest.preset.cjs'),
  displayName: 'bot-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.e2e.spec.ts'],
  testTimeout: 30_000,
};
