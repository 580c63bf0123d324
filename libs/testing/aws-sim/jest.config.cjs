module.exports = {
  ...require('../sim-kit/jest.preset.cjs'),
  displayName: 'aws-sim',
  rootDir: __dirname,
};
