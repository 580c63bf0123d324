import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * A file of an installed package, found from the working directory or this file upwards. The
 * descriptions are loaded by path with Node's own `require` (which loads ES modules too), so
 * the same code works under Jest, in a webpack bundle and in plain Node, whatever a package's
 * `exports` allow.
 */
export function packageFile(name: string, file: string): string {
  for (const start of [process.cwd(), __dirname]) {
    for (let dir = start; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name, file);
      if (existsSync(candidate)) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`${name} is not installed (looked for ${file} from ${process.cwd()})`);
}

/** Node's `require`, not a bundler's or Jest's: loads a package file as Node would. */
export const nodeRequire = createRequire(join(process.cwd(), 'package.json'));
