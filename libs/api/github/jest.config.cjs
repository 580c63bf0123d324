module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'github',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
