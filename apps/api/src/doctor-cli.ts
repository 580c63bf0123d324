import { existsSync } from 'node:fs';
import { doctor, dotenvArgument } from './doctor';

/**
 * `npm run doctor`: checks a real configuration read-only (docs/going-live.md) and exits 0 only
 * when every check passed.
 */
// `--dotenv <path>` (the sandbox's data/sandbox/api.env), then a developer's .env when there is
// one; a variable already set wins over both.
let envFile: string | null = null;
try {
  envFile = dotenvArgument(process.argv.slice(2));
  if (envFile && !existsSync(envFile)) throw new Error(`no such env file: ${envFile}`);
} catch (error) {
  process.stderr.write(`doctor: ${(error as Error).message}\n`);
  process.exit(2);
}
if (envFile) process.loadEnvFile(envFile);
if (existsSync('.env')) process.loadEnvFile('.env');
doctor(process.env, (text) => process.stdout.write(text)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`doctor failed: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
