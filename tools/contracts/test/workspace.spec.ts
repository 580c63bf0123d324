import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The workspace's shape: the projects exist, and lint keeps dependencies pointing one way. */
const ROOT = resolve(__dirname, '../../..');

function nx(args: string[]): string {
  return execFileSync(process.execPath, [require.resolve('nx/bin/nx.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
}

interface ProjectGraph {
  nodes: Record<
    string,
    { type: string; data: { root: string; tags?: string[]; implicitDependencies?: string[] } }
  >;
  dependencies: Record<string, { target: string }[]>;
}

let graphRead: ProjectGraph | undefined;
/** The project graph, read once (each read loads every project: seconds). */
function projectGraph(): ProjectGraph {
  graphRead ??= (JSON.parse(nx(['graph', '--print'])) as { graph: ProjectGraph }).graph;
  return graphRead;
}

/** Every project's folder and tags. */
function projectFolders(): { name: string; root: string; tags: string[]; parents: string[] }[] {
  return Object.entries(projectGraph().nodes).map(([name, { data }]) => ({
    name,
    root: data.root,
    tags: data.tags ?? [],
    parents: data.implicitDependencies ?? [],
  }));
}

const isTestProject = (tags: string[]) => tags.includes('type:test');

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
    const { nodes, dependencies } = projectGraph();
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
    const testProjects = new Set(
      projectFolders()
        .filter((p) => isTestProject(p.tags))
        .map((p) => p.name),
    );
    const libsOnApps = Object.entries(dependencies)
      .filter(([source]) => nodes[source]?.type === 'lib' && source !== 'tools')
      .filter(([source]) => !testProjects.has(source))
      .flatMap(([source, deps]) =>
        deps.filter((d) => apps.has(d.target)).map((d) => `${source} -> ${d.target}`),
      );
    expect(libsOnApps).toEqual([]);
  });
});

describe('projects by scope', () => {
  it('gives each lib the scope of the folder it sits in (libs/<scope>/<name>)', () => {
    const misplaced: string[] = [];
    for (const project of projectFolders()) {
      const { name } = project;
      const folder = /^libs\/([^/]+)\/[^/]+(?:\/test)?$/.exec(project.root)?.[1];
      if (project.root.startsWith('libs/') && !folder) misplaced.push(`${name}: ${project.root}`);
      if (folder && !project.tags.includes(`scope:${folder}`))
        misplaced.push(`${name} in libs/${folder} is tagged ${project.tags.join(', ')}`);
    }
    expect(misplaced).toEqual([]);
  });

  it("is the README's projects table: every project with its folder and tags, and no other", () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Projects\n') + 1);
    const table = section.slice(0, section.indexOf('\n## '));
    const rows = new Map(
      [...table.matchAll(/^\| `([^`]+?)\/?` +\| ([^|]*)\|([^|]*)\|/gm)].map((m) => [
        m[1]!,
        { tags: [...m[2]!.matchAll(/`([^`]+)`/g)].map((t) => t[1]).sort(), text: m[3]! },
      ]),
    );
    const projects = projectFolders();
    for (const { root, tags } of projects.filter((p) => !isTestProject(p.tags)))
      expect({ root, tags: rows.get(root)?.tags }).toEqual({ root, tags: [...tags].sort() });
    // One row stands for the test projects and names each project that has one.
    const testRow = rows.get('<project>/test');
    const named = [...(testRow?.text ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1]).sort();
    const withTests = projects
      .filter((p) => isTestProject(p.tags))
      .map((p) => p.name.replace(/-test$/, ''))
      .sort();
    expect(named).toEqual(withTests);
    const notProjects = [...rows.keys()].filter(
      (root) => root !== '<project>/test' && !projects.some((p) => p.root === root),
    );
    expect(notProjects).toEqual(['bench', '.github/workflows']);
  });

  it('gives each test project its folder, name, parent and scope: <project>/test, <name>-test', () => {
    const projects = projectFolders();
    const found = projects
      .filter((p) => isTestProject(p.tags))
      .map((test) => {
        const parent = projects.find((p) => `${p.root}/test` === test.root);
        return {
          name: test.name,
          parent: test.parents,
          tags: [...test.tags].sort(),
          expected: parent && {
            name: `${parent.name}-test`,
            parent: [parent.name],
            tags: ['type:test', parent.tags.find((t) => t.startsWith('scope:'))].sort(),
          },
        };
      });
    expect(found.length).toBeGreaterThan(0);
    for (const { expected, ...actual } of found) expect(actual).toEqual(expected);
  });

  it('keeps production projects off the stand-ins and the test helpers: only tests, the sandbox and the checks use them', () => {
    const { dependencies } = projectGraph();
    const projects = projectFolders();
    const testing = new Set(
      projects.filter((p) => p.tags.includes('scope:testing')).map((p) => p.name),
    );
    const mayUseThem = (p: { name: string; tags: string[] }) =>
      testing.has(p.name) ||
      isTestProject(p.tags) ||
      p.tags.includes('type:e2e') ||
      p.name === 'sandbox';
    const production = projects.filter((p) => !mayUseThem(p));
    expect(production.map((p) => p.name)).toEqual(expect.arrayContaining(['api', 'deployments']));
    const edges = production.flatMap((p) =>
      (dependencies[p.name] ?? [])
        .filter((d) => testing.has(d.target))
        .map((d) => `${p.name} -> ${d.target}`),
    );
    expect(edges).toEqual([]);
  });

  it("runs the conformance check wherever tests use the stand-ins (their Jest configs use sim-kit's preset)", () => {
    const { dependencies } = projectGraph();
    const standIns = new Set(['aws-sim', 'discord-sim', 'github-sim', 'sim-kit', 'testing']);
    const missing: string[] = [];
    for (const project of projectFolders()) {
      const usesThem =
        standIns.has(project.name) ||
        (dependencies[project.name] ?? []).some((d) => standIns.has(d.target));
      if (!usesThem) continue;
      const configs = execFileSync('git', ['ls-files', '-co', '--exclude-standard', project.root], {
        cwd: ROOT,
        encoding: 'utf8',
      })
        .split('\n')
        .filter((f) => /(^|\/)jest(\.[a-z0-9]+)?\.config\.cjs$/.test(f));
      for (const config of configs) {
        const text = readFileSync(resolve(ROOT, config), 'utf8');
        if (!/sim-kit\/jest\.preset\.cjs|require\('\.\/jest\.preset\.cjs'\)/.test(text))
          missing.push(config);
      }
    }
    expect(missing).toEqual([]);
  });
});

/**
 * One fixture per boundary rule (Nx reports the first rule a dependency breaks, layers before
 * scopes, and a cycle before either, so each fixture breaks only the rule it names): source text linted as if saved at a path, with the workspace's
 * own ESLint config, in one child process (the Nx plugin loads the project graph once).
 */
const FIXTURES: { rule: string; path: string; imports: string; errors: RegExp | null }[] = [
  {
    rule: 'an app uses data-access and util libs of its scope',
    path: 'apps/api/src/ok.ts',
    imports: "import { openDatabase } from '@chatops/persistence';",
    errors: null,
  },
  {
    rule: 'type:util depends only on util',
    path: 'libs/shared/observability/src/violation.ts',
    imports: "import { loadCatalog } from '@chatops/api-client';",
    errors: /tagged with "type:util" can only depend on libs tagged with "type:util"/,
  },
  {
    rule: 'type:data-access depends only on data-access and util',
    path: 'libs/bot/api-client/src/violation.ts',
    imports: "import { DeploymentService } from '@chatops/deployments';",
    errors:
      /tagged with "type:data-access" can only depend on libs tagged with "type:data-access", "type:util"/,
  },
  {
    rule: 'type:testing depends only on testing, data-access and util',
    path: 'libs/testing/github-sim/src/violation.ts',
    imports: "import { CommandDispatcher } from '@chatops/bot-commands';",
    errors:
      /tagged with "type:testing" can only depend on libs tagged with "type:testing", "type:data-access", "type:util"/,
  },
  {
    rule: 'scope:bot never reaches scope:api',
    path: 'libs/bot/bot-commands/src/violation.ts',
    imports: "import { openDatabase } from '@chatops/persistence';",
    errors:
      /tagged with "scope:bot" can only depend on libs tagged with "scope:bot", "scope:shared"/,
  },
  {
    rule: 'scope:api never reaches scope:bot',
    path: 'libs/api/deployments/src/violation.ts',
    imports: "import { ApiClient } from '@chatops/api-client';",
    errors:
      /tagged with "scope:api" can only depend on libs tagged with "scope:api", "scope:shared"/,
  },
  {
    rule: 'scope:shared reaches neither the API nor the bot',
    // The shared libs are all type:util, which the layer rule stops first; the sandbox is shared too.
    path: 'tools/sandbox/src/violation.ts',
    imports: "import { openDatabase } from '@chatops/persistence';",
    errors:
      /tagged with "scope:shared" can only depend on libs tagged with "scope:shared", "scope:testing"/,
  },
  {
    rule: 'scope:testing depends only on testing and shared',
    path: 'libs/testing/github-sim/src/violation.ts',
    imports: "import { openDatabase } from '@chatops/persistence';",
    errors:
      /tagged with "scope:testing" can only depend on libs tagged with "scope:testing", "scope:shared"/,
  },
  {
    rule: 'production lib code never imports the stand-ins',
    path: 'libs/api/alerting/src/violation.ts',
    imports: "import { DiscordSimulator } from '@chatops/discord-sim';",
    errors: /can only depend on libs tagged with "type:feature", "type:data-access", "type:util"/,
  },
  {
    rule: 'production app code never imports the test helpers',
    path: 'apps/bot/src/violation.ts',
    imports: "import { startApi } from '@chatops/testing';",
    errors:
      /tagged with "type:app" can only depend on libs tagged with "type:feature", "type:data-access", "type:util"/,
  },
  {
    rule: "a lib's own spec files never import the stand-ins (its test project does)",
    path: 'libs/api/alerting/src/violation.spec.ts',
    imports: "import { DiscordSimulator } from '@chatops/discord-sim';",
    errors: /can only depend on libs tagged with "type:feature", "type:data-access", "type:util"/,
  },
  {
    rule: "an app's own spec files never import the test helpers (its test project does)",
    path: 'apps/api/src/violation.spec.ts',
    imports: "import { startPostgres } from '@chatops/testing';",
    errors:
      /tagged with "type:app" can only depend on libs tagged with "type:feature", "type:data-access", "type:util"/,
  },
  {
    rule: "a test project uses the stand-ins, the test helpers and its project's internals",
    path: 'libs/api/alerting/test/ok.spec.ts',
    imports:
      "import { DiscordSimulator } from '@chatops/discord-sim';\nimport { startPostgres } from '@chatops/testing';\nimport { AlertIntake } from '../src/alert-intake';",
    errors: null,
  },
  {
    rule: 'a test project stays in its scope',
    path: 'libs/bot/api-client/test/violation.spec.ts',
    imports: "import { openDatabase } from '@chatops/persistence';",
    errors:
      /tagged with "scope:bot" can only depend on libs tagged with "scope:bot", "scope:shared", "scope:testing"/,
  },
  {
    rule: "a test project reaches no other project's internals",
    path: 'libs/api/alerting/test/violation.spec.ts',
    imports: "import { DeploymentService } from '../../deployments/src/deployment.service';",
    errors: /Projects cannot be imported by a relative or absolute path/,
  },
  {
    rule: 'no project uses a test project',
    path: 'libs/api/alerting/src/violation.ts',
    imports: "import { createFixtures } from '../test/fixtures';",
    errors: /Projects cannot be imported by a relative or absolute path/,
  },
  {
    rule: 'the sandbox uses the stand-ins',
    path: 'tools/sandbox/src/ok.ts',
    imports: "import { DiscordSimulator } from '@chatops/discord-sim';",
    errors: null,
  },
  {
    rule: 'the workspace tests (tools) drive the bot and the API together',
    path: 'tools/test/ok.e2e.spec.ts',
    imports:
      "import { CommandDispatcher } from '@chatops/bot-commands';\nimport { openDatabase } from '@chatops/persistence';",
    errors: null,
  },
  {
    rule: 'no lib uses the workspace tests',
    path: 'libs/shared/config/src/violation.ts',
    imports: "import { x } from '../../../../tools/test/helpers';",
    errors: /./,
  },
  {
    rule: 'no lib imports an app by path',
    path: 'libs/shared/config/src/violation.ts',
    imports: "import { loadApiConfig } from '../../../../apps/api/src/config';",
    errors: /./,
  },
];

const LINT_FIXTURES = `
const { ESLint } = require('eslint');
const fixtures = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
(async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const f of fixtures) {
    const [result] = await eslint.lintText(f.source, { filePath: f.path });
    out.push((result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message));
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

describe('module boundaries (lint), one fixture per rule', () => {
  let errors: string[][];

  beforeAll(() => {
    const input = FIXTURES.map((f) => ({
      path: resolve(ROOT, f.path),
      source: `${f.imports}\nexport const fixture = [${f.imports.match(/(?<=\{ )\w+/g)?.join(', ')}];\n`,
    }));
    errors = JSON.parse(
      execFileSync(process.execPath, ['-e', LINT_FIXTURES], {
        cwd: ROOT,
        input: JSON.stringify(input),
        encoding: 'utf8',
      }),
    ) as string[][];
  }, 120_000);

  it.each(FIXTURES.map((f, i) => [f.rule, i] as const))('%s', (_rule, i) => {
    const { errors: expected } = FIXTURES[i]!;
    const found = errors[i]!.join('\n');
    if (expected) expect(found).toMatch(expected);
    else expect(found).toBe('');
  });
});
