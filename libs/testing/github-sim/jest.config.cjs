module.exports = {
  ...require('../sim-kit/jest.preset.cjs'),
  displayName: 'github-sim',
  rootDir: __dirname,
};
