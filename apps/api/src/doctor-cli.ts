import { existsSync } from 'node:fs';
import { doctor } from './doctor';

/**
 * `npm run doctor`: checks a real configuration read-only (docs/going-live.md) and exits 0 only
 * when every check passed.
 */
// A developer's .env, when there is one; variables already set win.
if (existsSync('.env')) process.loadEnvFile('.env');
doctor(process.env, (text) => process.stdout.write(text)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`doctor failed: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
