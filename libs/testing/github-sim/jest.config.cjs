module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'github-sim',
  rootDir: __dirname,
};
