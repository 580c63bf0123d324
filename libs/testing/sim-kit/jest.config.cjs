module.exports = {
  ...require('./jest.preset.cjs'),
  displayName: 'sim-kit',
  rootDir: __dirname,
};
