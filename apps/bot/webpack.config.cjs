const { join } = require('node:path');
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');

// Node bundle of the bot (main.js) and the command registration tool (register-commands.js);
// npm dependencies stay external and are listed in the generated, pruned package.json.
module.exports = {
  output: { path: join(__dirname, '../../dist/apps/bot'), clean: true },
  devtool: 'source-map',
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: join(__dirname, 'src/main.ts'),
      additionalEntryPoints: [
        { entryName: 'register-commands', entryPath: join(__dirname, 'src/register-commands.ts') },
      ],
      tsConfig: join(__dirname, 'tsconfig.app.json'),
      outputHashing: 'none',
      optimization: false,
      generatePackageJson: true,
      skipTypeChecking: true,
      sourceMap: true,
    }),
  ],
};
