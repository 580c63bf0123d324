module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'discord-ui',
  rootDir: __dirname,
};
