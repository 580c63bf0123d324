module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'aws-sim',
  rootDir: __dirname,
};
