import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The infrastructure checks run external tools (terraform, packer). On a machine without them they
 * must fail saying what to install, not with "command not found" deep in a script or, worse, pass.
 */
const ROOT = resolve(__dirname, '../../..');

/** Runs a script with PATH holding only the basic tools it needs: no terraform, no packer. */
function runWithout(script: string, args: string[]) {
  const bin = mkdtempSync(join(tmpdir(), 'bare-path-'));
  try {
    for (const tool of ['bash', 'dirname', 'cat', 'mktemp', 'rm', 'awk', 'grep'])
      symlinkSync(
        spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(),
        join(bin, tool),
      );
    return spawnSync(join(bin, 'bash'), [join(ROOT, script), ...args], {
      encoding: 'utf8',
      env: { PATH: bin, HOME: tmpdir() },
    });
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

describe('infrastructure check scripts', () => {
  it.each(['fmt', 'validate', 'test'])(
    'terraform.sh %s fails naming what to install when terraform is missing',
    (mode) => {
      const result = runWithout('infra/scripts/terraform.sh', [mode]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        'terraform is not installed. Install Terraform 1.11 or later',
      );
      expect(result.stderr).toContain('/opt/tf-plugins');
    },
  );

  it.each(['fmt', 'validate'])(
    'packer/check.sh %s fails naming what to install when packer is missing',
    (mode) => {
      const result = runWithout('packer/check.sh', [mode]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('packer is not installed: apt-get install packer');
    },
  );

  it('terraform.sh refuses an unknown mode', () => {
    const result = runWithout('infra/scripts/terraform.sh', ['apply']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage:');
  });
});
