// bot's tests that drive the stand-ins or use the test helpers (see eslint.config.mjs).
module.exports = {
  ...require('../../../libs/testing/sim-kit/jest.preset.cjs'),
  displayName: 'bot-test',
  rootDir: __dirname,
  // The end-to-end tests (*.e2e.spec.ts) run the built app: the e2e target.
  testPathIgnorePatterns: ['/node_modules/', '\\.e2e\\.spec\\.ts$'],
};
