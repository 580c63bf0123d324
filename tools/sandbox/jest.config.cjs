module.exports = {
  ...require('../../libs/testing/sim-kit/jest.preset.cjs'),
  displayName: 'sandbox',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
