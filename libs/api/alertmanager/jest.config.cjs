module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'alertmanager',
  rootDir: __dirname,
};
