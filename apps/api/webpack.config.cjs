const { nodeAppConfig } = require('../../tools/webpack/node-app.cjs');

module.exports = nodeAppConfig({ projectDir: __dirname, name: 'api' });
