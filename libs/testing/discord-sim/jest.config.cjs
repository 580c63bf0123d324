module.exports = {
  ...require('../sim-kit/jest.preset.cjs'),
  displayName: 'discord-sim',
  rootDir: __dirname,
};
