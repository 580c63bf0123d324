module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'aws-fleet',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
