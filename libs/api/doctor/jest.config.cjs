module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'doctor',
  rootDir: __dirname,
};
