// The checks that read files of several projects (see README.md here).
module.exports = {
  ...require('../../libs/testing/sim-kit/jest.preset.cjs'),
  displayName: 'contracts',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  testTimeout: 60_000,
};
