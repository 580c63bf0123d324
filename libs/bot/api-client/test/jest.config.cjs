// api-client's tests that drive the stand-ins or use the test helpers (see eslint.config.mjs).
module.exports = {
  ...require('../../../../libs/testing/sim-kit/jest.preset.cjs'),
  displayName: 'api-client-test',
  rootDir: __dirname,
};
