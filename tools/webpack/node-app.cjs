const { join } = require('node:path');
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');

/**
 * Webpack config for a Node app: its code and the workspace libs in one bundle, npm
 * dependencies external and listed in the generated, pruned package.json (and lockfile) that
 * the Docker image installs. Type errors are the typecheck target's job; this only transpiles
 * (with tsc, which emits the decorator metadata NestJS needs).
 */
function nodeAppConfig({ projectDir, name, outputPath, additionalEntryPoints = [] }) {
  return {
    output: { path: outputPath ?? join(__dirname, '../../dist/apps', name), clean: true },
    devtool: 'source-map',
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: join(projectDir, 'src/main.ts'),
        additionalEntryPoints,
        tsConfig: join(projectDir, 'tsconfig.app.json'),
        outputHashing: 'none',
        optimization: false,
        // Apps ship with a pruned package.json; the sandbox is a dev tool run from the workspace.
        generatePackageJson: outputPath === undefined,
        skipTypeChecking: true,
        sourceMap: true,
      }),
    ],
  };
}

module.exports = { nodeAppConfig };
