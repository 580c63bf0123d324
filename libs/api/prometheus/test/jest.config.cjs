// prometheus's tests that drive the stand-ins or use the test helpers (see eslint.config.mjs).
module.exports = {
  ...require('../../../../libs/testing/sim-kit/jest.preset.cjs'),
  displayName: 'prometheus-test',
  rootDir: __dirname,
};
