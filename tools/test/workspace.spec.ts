import { execFile, execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The workspace's shape: the projects exist, and lint keeps dependencies pointing one way. */
const ROOT = resolve(__dirname, '../..');

function nx(args: string[]): string {
  return execFileSync(process.execPath, [require.resolve('nx/bin/nx.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
}

describe('projects', () => {
  it('lists the apps and the libs', () => {
    const projects = JSON.parse(nx(['show', 'projects', '--json'])) as string[];
    expect(projects).toEqual(
      expect.arrayContaining([
        'api',
        'bot',
        'domain',
        'config',
        'persistence',
        'observability',
        'bot-commands',
        'api-client',
        'testing',
      ]),
    );
  });

  it('has apps depending on libs and never the reverse', () => {
    const graph = JSON.parse(nx(['graph', '--print'])) as {
      graph: {
        nodes: Record<string, { type: string }>;
        dependencies: Record<string, { target: string }[]>;
      };
    };
    const { nodes, dependencies } = graph.graph;
    const apps = new Set(Object.keys(nodes).filter((name) => nodes[name]?.type === 'app'));
    expect([...apps].sort()).toEqual(['api', 'bot', 'rollout', 'sandbox']);
    expect(dependencies['sandbox']?.map((d) => d.target)).toEqual(
      expect.arrayContaining(['discord-sim']),
    );
    for (const app of ['api', 'bot']) {
      expect(dependencies[app]?.map((d) => d.target)).toEqual(
        expect.arrayContaining(['config', 'domain', 'observability']),
      );
    }
    const libsOnApps = Object.entries(dependencies)
      .filter(([source]) => nodes[source]?.type === 'lib' && source !== 'tools')
      .flatMap(([source, deps]) =>
        deps.filter((d) => apps.has(d.target)).map((d) => `${source} -> ${d.target}`),
      );
    expect(libsOnApps).toEqual([]);
  });
});

describe('module boundaries (lint)', () => {
  /** Lints `source` as if it were saved at `filePath`, with the workspace's own ESLint config. */
  async function boundaryErrors(filePath: string, source: string): Promise<string[]> {
    const output = await new Promise<string>((done, fail) => {
      const child = execFile(
        process.execPath,
        [
          resolve(ROOT, 'node_modules/eslint/bin/eslint.js'),
          '--format',
          'json',
          '--stdin',
          '--stdin-filename',
          resolve(ROOT, filePath),
        ],
        { cwd: ROOT },
        (error, stdout) => (stdout ? done(stdout) : fail(error)),
      );
      child.stdin?.end(source);
    });
    const [result] = JSON.parse(output) as { messages: { ruleId: string; message: string }[] }[];
    return (result?.messages ?? [])
      .filter((m) => m.ruleId === '@nx/enforce-module-boundaries')
      .map((m) => m.message);
  }

  it('lets an app use data-access and util libs of its scope', async () => {
    expect(
      await boundaryErrors(
        'apps/api/src/ok.ts',
        "import { openDatabase } from '@chatops/persistence';\nexport const x = openDatabase;\n",
      ),
    ).toEqual([]);
  });

  it('stops a util lib from importing a data-access lib', async () => {
    const errors = await boundaryErrors(
      'libs/observability/src/violation.ts',
      "import { openDatabase } from '@chatops/persistence';\nexport const x = openDatabase;\n",
    );
    expect(errors.join('\n')).toMatch(/can only depend on libs tagged with "type:util"/);
  });

  it('stops bot code from reaching into API-only libs', async () => {
    const errors = await boundaryErrors(
      'libs/bot-commands/src/violation.ts',
      "import { openDatabase } from '@chatops/persistence';\nexport const x = openDatabase;\n",
    );
    expect(errors.join('\n')).toMatch(
      /can only depend on libs tagged with "scope:bot", "scope:shared"/,
    );
  });

  it('lets the workspace tests (tools) drive the bot and the API together, and no lib use them', async () => {
    expect(
      await boundaryErrors(
        'tools/test/ok.e2e.spec.ts',
        "import { CommandDispatcher } from '@chatops/bot-commands';\nimport { openDatabase } from '@chatops/persistence';\nexport const x = [CommandDispatcher, openDatabase];\n",
      ),
    ).toEqual([]);
    const errors = await boundaryErrors(
      'libs/config/src/violation.ts',
      "import { x } from '../../../tools/test/helpers';\nexport const y = x;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });

  it('keeps the stand-ins (type:testing) out of production code, and lets tests and the sandbox use them', async () => {
    const usesSimulator =
      "import { DiscordSimulator } from '@chatops/discord-sim';\nexport const x = DiscordSimulator;\n";
    // Each lint loads the project graph (seconds): one production layer, two kinds of test code.
    const errors = await boundaryErrors('libs/alerting/src/violation.ts', usesSimulator);
    expect(errors.join('\n')).toMatch(/can only depend on libs tagged with/);
    for (const testCode of ['libs/alerting/src/ok.spec.ts', 'tools/sandbox/src/ok.ts'])
      expect(await boundaryErrors(testCode, usesSimulator)).toEqual([]);
  });

  it('stops a lib from importing an app by path', async () => {
    const errors = await boundaryErrors(
      'libs/config/src/violation.ts',
      "import { loadApiConfig } from '../../../apps/api/src/config';\nexport const x = loadApiConfig;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });
});
