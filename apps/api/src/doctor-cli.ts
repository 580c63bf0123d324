import { existsSync } from 'node:fs';
import { doctor } from './doctor';

/**
 * `npm run doctor`: checks a real configuration read-only (docs/going-live.md) and exits 0 only
 * when every check passed.
 */
// `--env-file <path>` (the sandbox's data/sandbox/api.env), then a developer's .env when there is
// one; a variable already set wins over both.
const argv = process.argv.slice(2);
const flag = argv.findIndex((a) => a === '--env-file' || a.startsWith('--env-file='));
const envFile = flag < 0 ? null : (argv[flag]?.split('=')[1] ?? argv[flag + 1]);
if (flag >= 0 && (!envFile || !existsSync(envFile))) {
  process.stderr.write(`doctor: no such env file: ${envFile ?? '(none given)'}\n`);
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
