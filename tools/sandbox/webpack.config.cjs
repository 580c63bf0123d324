const { join } = require('node:path');
const { nodeAppConfig } = require('../webpack/node-app.cjs');

// The sandbox runner (main.js), the one-shot chat client (chat.js) and the interaction and
// deploy benchmarks, which drive the same simulators.
module.exports = nodeAppConfig({
  projectDir: __dirname,
  name: 'sandbox',
  outputPath: join(__dirname, '../../dist/tools/sandbox'),
  additionalEntryPoints: [
    { entryName: 'chat', entryPath: join(__dirname, 'src/chat.ts') },
    {
      entryName: 'bench-interactions',
      entryPath: join(__dirname, '../../bench/interactions/run.ts'),
    },
    { entryName: 'bench-deploys', entryPath: join(__dirname, '../../bench/deploys/run.ts') },
    {
      entryName: 'bench-alert-storm',
      entryPath: join(__dirname, '../../bench/alert-storm/run.ts'),
    },
    {
      entryName: 'bench-alert-intake',
      entryPath: join(__dirname, '../../bench/alert-intake/run.ts'),
    },
  ],
});
