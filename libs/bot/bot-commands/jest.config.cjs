module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'bot-commands',
  rootDir: __dirname,
};
