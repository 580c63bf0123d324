import { spawnSync } from 'node:child_process';

/**
 * Runs `promtool check metrics` on an exposition and returns its complaints ('' when clean).
 * promtool comes with Debian's prometheus package; .ci/run installs it.
 */
export function promtoolCheckMetrics(exposition: string): string {
  const result = spawnSync('promtool', ['check', 'metrics'], {
    input: exposition,
    encoding: 'utf8',
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('promtool not found: apt-get install prometheus (.ci/run installs it)');
  }
  return (
    `${result.stdout}${result.stderr}`.trim() +
    (result.status === 0 ? '' : `\n(exit ${result.status})`)
  );
}
