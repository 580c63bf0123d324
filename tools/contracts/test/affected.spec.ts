import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/**
 * `nx affected` as CI runs it (base and head commits, as nrwl/nx-set-shas gives them): a copy of
 * the workspace in a fresh git repository, one commit changing one file, and the projects Nx
 * then says are affected. What CI builds and tests follows from this.
 */
const ROOT = resolve(__dirname, '../../..');
const NOT_COPIED = new Set(['node_modules', 'dist', '.nx', '.git', 'tmp', 'data', '.terraform']);
const NX = require.resolve('nx/bin/nx.js');

describe('nx affected between two commits', () => {
  let repo: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], {
      cwd: repo,
      encoding: 'utf8',
    });

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'chatops-affected-'));
    cpSync(ROOT, repo, { recursive: true, filter: (src) => !NOT_COPIED.has(basename(src)) });
    symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'));
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
  });

  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  /** Changes one file in a commit; the projects affected (with `target`: those that have it). */
  function affectedBy(file: string, target?: string): string[] {
    appendFileSync(join(repo, file), file.endsWith('.tf') ? '\n# changed\n' : '\n// changed\n');
    git('commit', '-qam', `change ${file}`);
    try {
      const output = execFileSync(
        process.execPath,
        [
          NX,
          'show',
          'projects',
          '--affected',
          '--base=HEAD~1',
          '--head=HEAD',
          ...(target ? ['-t', target] : []),
          '--json',
        ],
        {
          cwd: repo,
          encoding: 'utf8',
          env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
        },
      );
      return (JSON.parse(output) as string[]).sort();
    } finally {
      git('reset', '-q', '--hard', 'HEAD~1');
    }
  }

  /**
   * One change in each project (and in files no project owns): exactly what Nx then runs. A
   * check that reads another project's files lives in \`contracts\`, so a host script, a
   * Terraform module or a workflow affects only its own project and the checks that read it.
   * Still coarse: a spec file importing a stand-in or the test helpers makes the stand-in's
   * change affect the lib and everything built on it (the \`libs/testing/*\` rows).
   */
  it.each([
    ['deploy/host/bin/redeploy.sh', ['contracts', 'deploy', 'tools']],
    ['deploy/monitoring/check.sh', ['contracts', 'deploy']],
    ['.github/workflows/deploy.yml', ['contracts']],
    ['README.md', ['contracts']],
    ['infra/modules/ecr/main.tf', ['infra']],
    ['infra/modules/ssm/documents/redeploy.json', ['contracts', 'infra']],
    ['packer/docker-host.pkr.hcl', ['contracts', 'packer']],
    ['apps/api/src/main.ts', ['api', 'sandbox', 'tools']],
    ['apps/bot/src/main.ts', ['bot', 'sandbox', 'tools']],
    ['libs/api/alerting/src/index.ts', ['alerting', 'api', 'sandbox', 'tools']],
    [
      'libs/api/alertmanager/src/index.ts',
      ['alerting', 'alertmanager', 'api', 'doctor', 'sandbox', 'tools'],
    ],
    [
      'libs/api/aws-fleet/src/index.ts',
      ['api', 'aws-fleet', 'contracts', 'deployments', 'doctor', 'rollout', 'sandbox', 'tools'],
    ],
    [
      'libs/api/deployments/src/index.ts',
      ['api', 'contracts', 'deployments', 'doctor', 'sandbox', 'tools'],
    ],
    [
      'libs/api/discord-channel/src/index.ts',
      [
        'alerting',
        'api',
        'contracts',
        'deployments',
        'discord-channel',
        'doctor',
        'sandbox',
        'tools',
      ],
    ],
    ['libs/api/doctor/src/index.ts', ['api', 'doctor', 'sandbox', 'tools']],
    [
      'libs/api/github/src/index.ts',
      ['api', 'contracts', 'deployments', 'doctor', 'github', 'sandbox', 'tools'],
    ],
    [
      'libs/api/persistence/src/index.ts',
      ['alerting', 'api', 'contracts', 'deployments', 'doctor', 'persistence', 'sandbox', 'tools'],
    ],
    ['libs/bot/api-client/src/index.ts', ['api-client', 'bot', 'bot-commands', 'sandbox', 'tools']],
    ['libs/bot/bot-commands/src/index.ts', ['bot', 'bot-commands', 'sandbox', 'tools']],
    [
      'libs/shared/config/src/index.ts',
      ['api', 'bot', 'config', 'contracts', 'doctor', 'rollout', 'sandbox', 'tools'],
    ],
    [
      'libs/shared/discord-rest/src/index.ts',
      [
        'alerting',
        'api',
        'bot',
        'contracts',
        'deployments',
        'discord-channel',
        'discord-rest',
        'doctor',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/shared/discord-ui/src/index.ts',
      [
        'alerting',
        'api',
        'bot',
        'bot-commands',
        'contracts',
        'deployments',
        'discord-channel',
        'discord-ui',
        'doctor',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/shared/domain/src/index.ts',
      [
        'alerting',
        'alertmanager',
        'api',
        'api-client',
        'aws-fleet',
        'aws-sim',
        'bot',
        'bot-commands',
        'config',
        'contracts',
        'deployments',
        'discord-channel',
        'discord-ui',
        'doctor',
        'domain',
        'github',
        'persistence',
        'rollout',
        'sandbox',
        'testing',
        'tools',
      ],
    ],
    ['libs/shared/observability/src/index.ts', ['api', 'bot', 'observability', 'sandbox', 'tools']],
    [
      'libs/testing/aws-sim/src/index.ts',
      [
        'api',
        'aws-fleet',
        'aws-sim',
        'contracts',
        'deployments',
        'doctor',
        'rollout',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/testing/discord-sim/src/index.ts',
      [
        'alerting',
        'api',
        'bot',
        'bot-commands',
        'contracts',
        'deployments',
        'discord-channel',
        'discord-rest',
        'discord-sim',
        'discord-ui',
        'doctor',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/testing/github-sim/src/index.ts',
      ['api', 'contracts', 'deployments', 'doctor', 'github', 'github-sim', 'sandbox', 'tools'],
    ],
    [
      'libs/testing/helpers/src/index.ts',
      [
        'alerting',
        'alertmanager',
        'api',
        'api-client',
        'bot',
        'bot-commands',
        'contracts',
        'deployments',
        'doctor',
        'persistence',
        'sandbox',
        'testing',
        'tools',
      ],
    ],
    [
      'libs/testing/sim-kit/src/index.ts',
      [
        'alerting',
        'api',
        'aws-fleet',
        'aws-sim',
        'bot',
        'bot-commands',
        'contracts',
        'deployments',
        'discord-channel',
        'discord-rest',
        'discord-sim',
        'discord-ui',
        'doctor',
        'github',
        'github-sim',
        'rollout',
        'sandbox',
        'sim-kit',
        'tools',
      ],
    ],
    ['tools/contracts/test/workspace.spec.ts', ['contracts']],
    ['tools/rollout/src/main.ts', ['rollout']],
    ['tools/test/rolling-redeploy.e2e.spec.ts', ['tools']],
    ['tools/webpack/node-app.cjs', ['api', 'bot', 'rollout', 'sandbox', 'tools', 'webpack-config']],
  ])('a change to %s affects exactly %j', (file, expected) => {
    expect(affectedBy(file)).toEqual(expected);
  });

  it('builds only the apps that bundle a changed lib', () => {
    expect(affectedBy('libs/bot/bot-commands/src/index.ts', 'build')).toEqual(['bot', 'sandbox']);
    expect(affectedBy('libs/shared/domain/src/index.ts', 'build')).toEqual([
      'api',
      'bot',
      'rollout',
      'sandbox',
    ]);
    expect(affectedBy('deploy/host/bin/redeploy.sh', 'build')).toEqual([]);
  });
});
