const { join } = require('node:path');
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');

// Node bundle of the app and its workspace libs; npm dependencies stay external and are listed
// in the generated (pruned) package.json that the Docker image installs.
module.exports = {
  output: { path: join(__dirname, '../../dist/apps/api'), clean: true },
  devtool: 'source-map',
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: join(__dirname, 'src/main.ts'),
      tsConfig: join(__dirname, 'tsconfig.app.json'),
      outputHashing: 'none',
      optimization: false,
      generatePackageJson: true,
      // Type errors are the typecheck target's job; the build only transpiles.
      skipTypeChecking: true,
      sourceMap: true,
    }),
  ],
};
