const { join } = require('node:path');
const { nodeAppConfig } = require('../../tools/webpack/node-app.cjs');

// Two entries: the bot (main.js) and the command registration tool (register-commands.js).
module.exports = nodeAppConfig({
  projectDir: __dirname,
  name: 'bot',
  additionalEntryPoints: [
    { entryName: 'register-commands', entryPath: join(__dirname, 'src/register-commands.ts') },
  ],
});
