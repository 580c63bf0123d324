module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'bot',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
