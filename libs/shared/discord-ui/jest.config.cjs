module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'discord-ui',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
