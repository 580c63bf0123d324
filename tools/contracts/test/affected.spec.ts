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
   * check that reads another project's files lives in `contracts`, so a host script, a
   * Terraform module or a workflow affects only its own project and the checks that read it. A
   * test that drives a stand-in or uses the test helpers lives in its project's test project
   * (`<name>-test`), so a change to a stand-in affects the tests that use it and never a
   * production project (the `libs/testing/*` rows); a change to a project affects its test project.
   */
  const CHANGES: [string, string[]][] = [
    ['deploy/host/bin/redeploy.sh', ['contracts', 'deploy', 'tools']],
    ['deploy/monitoring/check.sh', ['contracts', 'deploy']],
    ['.github/workflows/deploy.yml', ['contracts']],
    ['README.md', ['contracts']],
    ['infra/modules/ecr/main.tf', ['infra']],
    ['infra/modules/ssm/documents/redeploy.json', ['contracts', 'infra']],
    ['packer/docker-host.pkr.hcl', ['contracts', 'packer']],
    ['apps/api/src/main.ts', ['api', 'api-test', 'sandbox', 'tools']],
    ['apps/bot/src/main.ts', ['bot', 'bot-test', 'sandbox', 'tools']],
    [
      'libs/api/alerting/src/index.ts',
      ['alerting', 'alerting-test', 'api', 'api-test', 'sandbox', 'tools'],
    ],
    [
      'libs/api/alertmanager/src/index.ts',
      [
        'alerting',
        'alerting-test',
        'alertmanager',
        'alertmanager-test',
        'api',
        'api-test',
        'doctor',
        'doctor-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/api/aws-fleet/src/index.ts',
      [
        'api',
        'api-test',
        'aws-fleet',
        'aws-fleet-test',
        'contracts',
        'deployments',
        'deployments-test',
        'doctor',
        'doctor-test',
        'rollout',
        'rollout-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/api/deployments/src/index.ts',
      [
        'api',
        'api-test',
        'contracts',
        'deployments',
        'deployments-test',
        'doctor',
        'doctor-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/api/prometheus/src/index.ts',
      [
        'api',
        'api-test',
        'contracts',
        'deployments',
        'deployments-test',
        'doctor',
        'doctor-test',
        'prometheus',
        'prometheus-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/api/discord-channel/src/index.ts',
      [
        'alerting',
        'alerting-test',
        'api',
        'api-test',
        'contracts',
        'deployments',
        'deployments-test',
        'discord-channel',
        'discord-channel-test',
        'doctor',
        'doctor-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/api/doctor/src/index.ts',
      ['api', 'api-test', 'doctor', 'doctor-test', 'sandbox', 'tools'],
    ],
    [
      'libs/api/github/src/index.ts',
      [
        'api',
        'api-test',
        'contracts',
        'deployments',
        'deployments-test',
        'doctor',
        'doctor-test',
        'github',
        'github-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/api/persistence/src/index.ts',
      [
        'alerting',
        'alerting-test',
        'api',
        'api-test',
        'contracts',
        'deployments',
        'deployments-test',
        'doctor',
        'doctor-test',
        'persistence',
        'persistence-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/bot/api-client/src/index.ts',
      ['api-client', 'api-client-test', 'bot', 'bot-commands', 'bot-test', 'sandbox', 'tools'],
    ],
    ['libs/bot/bot-commands/src/index.ts', ['bot', 'bot-commands', 'bot-test', 'sandbox', 'tools']],
    [
      'libs/shared/config/src/index.ts',
      [
        'api',
        'api-test',
        'bot',
        'bot-test',
        'config',
        'contracts',
        'doctor-test',
        'rollout',
        'rollout-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/shared/discord-rest/src/index.ts',
      [
        'alerting',
        'alerting-test',
        'api',
        'api-test',
        'bot',
        'bot-test',
        'contracts',
        'deployments',
        'deployments-test',
        'discord-channel',
        'discord-channel-test',
        'discord-rest',
        'discord-rest-test',
        'doctor',
        'doctor-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/shared/discord-ui/src/index.ts',
      [
        'alerting',
        'alerting-test',
        'api',
        'api-test',
        'bot',
        'bot-commands',
        'bot-test',
        'contracts',
        'deployments',
        'deployments-test',
        'discord-channel',
        'discord-channel-test',
        'discord-ui',
        'discord-ui-test',
        'doctor',
        'doctor-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/shared/domain/src/index.ts',
      [
        'alerting',
        'alerting-test',
        'alertmanager',
        'alertmanager-test',
        'api',
        'api-client',
        'api-client-test',
        'api-test',
        'aws-fleet',
        'aws-fleet-test',
        'aws-sim',
        'bot',
        'bot-commands',
        'bot-test',
        'config',
        'contracts',
        'deployments',
        'deployments-test',
        'discord-channel',
        'discord-channel-test',
        'discord-ui',
        'discord-ui-test',
        'doctor',
        'doctor-test',
        'domain',
        'github',
        'github-test',
        'persistence',
        'persistence-test',
        'prometheus-test',
        'rollout',
        'rollout-test',
        'sandbox',
        'testing',
        'tools',
      ],
    ],
    [
      'libs/shared/observability/src/index.ts',
      ['api', 'api-test', 'bot', 'bot-test', 'observability', 'sandbox', 'tools'],
    ],
    [
      'libs/testing/aws-sim/src/index.ts',
      [
        'api-test',
        'aws-fleet-test',
        'aws-sim',
        'contracts',
        'deployments-test',
        'doctor-test',
        'rollout-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/testing/discord-sim/src/index.ts',
      [
        'alerting-test',
        'api-test',
        'bot-test',
        'deployments-test',
        'discord-channel-test',
        'discord-rest-test',
        'discord-sim',
        'discord-ui-test',
        'doctor-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/testing/github-sim/src/index.ts',
      [
        'api-test',
        'contracts',
        'deployments-test',
        'doctor-test',
        'github-sim',
        'github-test',
        'sandbox',
        'tools',
      ],
    ],
    [
      'libs/testing/helpers/src/index.ts',
      [
        'alerting-test',
        'alertmanager-test',
        'api-client-test',
        'api-test',
        'bot-test',
        'contracts',
        'deployments-test',
        'doctor-test',
        'persistence-test',
        'prometheus-test',
        'sandbox',
        'testing',
        'tools',
      ],
    ],
    [
      'libs/testing/sim-kit/src/index.ts',
      [
        'alerting-test',
        'alertmanager-test',
        'api-client-test',
        'api-test',
        'aws-fleet-test',
        'aws-sim',
        'bot-test',
        'contracts',
        'deployments-test',
        'discord-channel-test',
        'discord-rest-test',
        'discord-sim',
        'discord-ui-test',
        'doctor-test',
        'github-sim',
        'github-test',
        'persistence-test',
        'prometheus-test',
        'rollout-test',
        'sandbox',
        'sim-kit',
        'testing',
        'tools',
      ],
    ],
    ['tools/contracts/test/workspace.spec.ts', ['contracts']],
    ['tools/rollout/src/main.ts', ['rollout', 'rollout-test']],
    ['tools/sandbox/src/main.ts', ['sandbox', 'tools']],
    ['tools/test/rolling-redeploy.e2e.spec.ts', ['tools']],
    [
      'tools/webpack/node-app.cjs',
      [
        'api',
        'api-test',
        'bot',
        'bot-test',
        'rollout',
        'rollout-test',
        'sandbox',
        'tools',
        'webpack-config',
      ],
    ],
    ['apps/api/test/api.e2e.spec.ts', ['api-test']],
    ['apps/bot/test/bot.e2e.spec.ts', ['bot-test']],
    ['libs/api/alerting/test/fixtures.ts', ['alerting-test']],
    ['libs/api/alertmanager/test/alertmanager.repository.spec.ts', ['alertmanager-test']],
    ['libs/api/aws-fleet/test/aws-fleet.simulator.spec.ts', ['aws-fleet-test']],
    ['libs/api/deployments/test/fixtures.ts', ['deployments-test']],
    ['libs/api/discord-channel/test/discord-channel.repository.spec.ts', ['discord-channel-test']],
    ['libs/api/doctor/test/doctor.spec.ts', ['doctor-test']],
    ['libs/api/github/test/octokit-github.repository.spec.ts', ['github-test']],
    ['libs/api/persistence/test/repositories.spec.ts', ['persistence-test']],
    ['libs/api/prometheus/test/prometheus.repository.spec.ts', ['prometheus-test']],
    ['libs/bot/api-client/test/api-client.spec.ts', ['api-client-test']],
    ['libs/shared/discord-rest/test/discord-rest.spec.ts', ['discord-rest-test']],
    ['libs/shared/discord-ui/test/alert-message.spec.ts', ['discord-ui-test']],
    ['tools/rollout/test/cli.spec.ts', ['rollout-test']],
  ];

  it.each(CHANGES)('a change to %s affects exactly %j', (file, expected) => {
    expect(affectedBy(file)).toEqual(expected);
  });

  it('changes a file in each project', () => {
    const { nodes } = (
      JSON.parse(
        execFileSync(process.execPath, [NX, 'graph', '--print'], {
          cwd: repo,
          encoding: 'utf8',
          env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
        }),
      ) as { graph: { nodes: Record<string, { data: { root: string } }> } }
    ).graph;
    const roots = Object.entries(nodes).map(([name, { data }]) => ({ name, root: data.root }));
    /** The project owning a file: the one with the longest root above it. */
    const owner = (file: string) =>
      roots
        .filter(({ root }) => file.startsWith(`${root}/`))
        .sort((a, b) => b.root.length - a.root.length)[0]?.name;
    const changed = new Set(CHANGES.map(([file]) => owner(file)));
    expect(roots.map((r) => r.name).filter((name) => !changed.has(name))).toEqual([]);
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
