module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'deployments',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
