module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'discord-sim',
  rootDir: __dirname,
};
