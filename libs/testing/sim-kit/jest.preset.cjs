// The workspace's Jest preset plus the conformance check, for every project whose tests drive the
// stand-ins: each body a stand-in exchanges is held to its published API description (after each
// test file, src/conformance/jest-setup.ts), and the run prints its counts.
const path = require('node:path');

module.exports = {
  ...require('../../../jest.preset.cjs'),
  setupFilesAfterEnv: [path.join(__dirname, 'src/conformance/jest-setup.ts')],
  reporters: ['default', path.join(__dirname, 'jest/conformance-reporter.cjs')],
};
