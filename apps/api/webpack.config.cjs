const { join } = require('node:path');
const { nodeAppConfig } = require('../../tools/webpack/node-app.cjs');

// Two entries: the API (main.js) and `npm run doctor` (doctor.js).
module.exports = nodeAppConfig({
  projectDir: __dirname,
  name: 'api',
  additionalEntryPoints: [{ entryName: 'doctor', entryPath: join(__dirname, 'src/doctor-cli.ts') }],
});
