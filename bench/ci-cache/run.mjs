// CI speed: the README's test command cold (empty Nx cache) against a second run with the cache,
// and what `nx affected` runs for a one-lib change (tasks against the whole suite's).
//   npm run bench:ci            (runs the whole suite twice: about 10 minutes on 2 cores)
//   npm run bench:ci -- --skip-cold   (only the affected figures)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const TARGETS = ['fmt', 'validate', 'lint', 'typecheck', 'test', 'e2e'];
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
delete env.NX_SKIP_NX_CACHE;

function run(command, args, { quiet = true } = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    maxBuffer: 512 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    process.stderr.write(`${command} ${args.join(' ')} failed (${result.status})\n`);
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`.slice(-4000));
    process.exit(1);
  }
  return { seconds, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

const NX = createRequire(import.meta.url).resolve('nx/bin/nx.js');
const nx = (args) => run(process.execPath, [NX, ...args]);

/** Tasks Nx would run (with the builds they depend on), read from its task graph. */
function tasks(args) {
  const file = join(tmpdir(), `chatops-bench-ci-${process.pid}.json`);
  nx([...args, '-t', ...TARGETS, `--graph=${file}`]);
  const graph = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file, { force: true });
  return Object.keys(graph.tasks.tasks).sort();
}

const fmt = (s) => `${Math.floor(s / 60)} m ${(s % 60).toFixed(1).padStart(4, '0')} s`;
const lines = [];

if (!process.argv.includes('--skip-cold')) {
  nx(['reset']);
  process.stdout.write('cold npm test (Nx cache emptied)…\n');
  const cold = run('npm', ['test']);
  process.stdout.write('npm test again (with the cache)…\n');
  const cached = run('npm', ['test']);
  const hits =
    /read the output from the cache instead of running the command for (\d+) out of (\d+) tasks/.exec(
      cached.output,
    );
  lines.push(
    `npm test cold:    ${fmt(cold.seconds)}`,
    `npm test cached:  ${fmt(cached.seconds)} (${((100 * cached.seconds) / cold.seconds).toFixed(1)} % of cold; target ≤ 15 %)` +
      (hits ? `, ${hits[1]} of ${hits[2]} tasks from the cache` : ''),
  );
}

const total = tasks(['run-many']);
lines.push(`whole suite: ${total.length} tasks (${TARGETS.join(' ')} and the builds they need)`);
for (const [what, file] of [
  ['bot-only lib', 'libs/bot/bot-commands/src/index.ts'],
  ['api-only lib', 'libs/api/deployments/src/index.ts'],
  ['shared lib', 'libs/shared/domain/src/index.ts'],
  ['Terraform module', 'infra/modules/ecr/main.tf'],
  ['stand-in', 'libs/testing/aws-sim/src/index.ts'],
  ['host script', 'deploy/host/bin/redeploy.sh'],
]) {
  const affected = tasks(['affected', `--files=${file}`]);
  // Builds appear as what other tasks depend on (the sandbox e2e starts both apps).
  const builds = affected.filter((t) => t.endsWith(':build'));
  const projects = [
    ...new Set(affected.filter((t) => !t.endsWith(':build')).map((t) => t.split(':')[0])),
  ].sort();
  lines.push(
    `affected by a change to a ${what} (${file}): ${affected.length} of ${total.length} tasks (${((100 * affected.length) / total.length).toFixed(0)} %), projects ${projects.join(' ')}; builds ${builds.join(' ')}`,
  );
}
const bot = nx([
  'affected',
  '--files=libs/bot/bot-commands/src/index.ts',
  '-t',
  ...TARGETS,
  '--skip-nx-cache',
  '--outputStyle=static',
]);
lines.push(`nx affected for the bot-only lib change, uncached: ${fmt(bot.seconds)}`);
process.stdout.write(`\n${lines.join('\n')}\n`);
