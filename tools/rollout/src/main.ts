import { runRollout } from './cli';

runRollout(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  env: process.env,
})
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    process.stderr.write(`rollout crashed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
