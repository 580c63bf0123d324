module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'discord-rest',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
