module.exports = {
  ...require('../sim-kit/jest.preset.cjs'),
  displayName: 'testing',
  rootDir: __dirname,
};
