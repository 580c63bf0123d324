module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'discord-channel',
  rootDir: __dirname,
};
