const { join } = require('node:path');
const { nodeAppConfig } = require('../webpack/node-app.cjs');

// Run from the workspace by .github/workflows/deploy.yml (after npm ci), like the sandbox.
module.exports = nodeAppConfig({
  projectDir: __dirname,
  name: 'rollout',
  outputPath: join(__dirname, '../../dist/tools/rollout'),
});
