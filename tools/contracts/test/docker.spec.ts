import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildContextFilter, execForm, parseDockerfile, type Dockerfile } from '@chatops/testing';

/**
 * The images' Dockerfiles and build context held to the rules: multi-stage, a pinned Node LTS
 * base (22 or newer), production dependencies only from the pruned lockfile `nx build` writes,
 * a non-root user, a HEALTHCHECK, an allowlisting .dockerignore and an Nx docker-build target.
 * No Docker engine runs here: apps/*\/test/production-image.e2e.spec.ts replays the stages and
 * runs the result; this checks the rules, on violating copies too so no rule is vacuous.
 */
const ROOT = resolve(__dirname, '../../..');
const APPS = ['api', 'bot'] as const;

const dockerfileText = (app: string) => readFileSync(join(ROOT, 'apps', app, 'Dockerfile'), 'utf8');

export function imageProblems(dockerfile: Dockerfile, app: string): string[] {
  const problems: string[] = [];
  const version = dockerfile.args['NODE_VERSION'] ?? '';
  const major = Number(version.split('.')[0]);
  if (!/^\d+\.\d+\.\d+$/.test(version))
    problems.push(`NODE_VERSION must be an exact version (x.y.z), not "${version}"`);
  else if (major < 22 || major % 2 === 1)
    problems.push(`NODE_VERSION ${version} is not an LTS line of 22 or newer`);
  for (const stage of dockerfile.stages)
    if (!stage.from.startsWith(`node:${version}-`))
      problems.push(`stage ${stage.name}: FROM ${stage.from} is not node:\${NODE_VERSION}-…`);
  const names = dockerfile.stages.map((s) => s.name);
  if (names.join(',') !== 'build,deps,runtime')
    return [...problems, `stages must be build, deps, runtime; found ${names.join(', ')}`];
  const [build, deps, runtime] = dockerfile.stages as [
    (typeof dockerfile.stages)[0],
    (typeof dockerfile.stages)[0],
    (typeof dockerfile.stages)[0],
  ];
  const runs = (stage: typeof build) =>
    stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  const copies = (stage: typeof build) =>
    stage.instructions.filter((i) => i.op === 'COPY').map((i) => i.args.split(/\s+/));

  if (!runs(build).some((r) => /\bnpm ci\b/.test(r)))
    problems.push('build: the workspace must be installed with npm ci (the lockfile)');
  if (!runs(build).some((r) => r.includes(`nx run ${app}:build`)))
    problems.push(`build: must run nx run ${app}:build`);

  const depsSources = copies(deps).flatMap((words) => {
    const paths = words.filter((w) => !w.startsWith('--'));
    const from = words.find((w) => w.startsWith('--from='));
    return paths.slice(0, -1).map((p) => `${from ?? 'context'} ${p}`);
  });
  const pruned = [`package.json`, `package-lock.json`].map(
    (file) => `--from=build /workspace/dist/apps/${app}/${file}`,
  );
  if (depsSources.sort().join('|') !== pruned.sort().join('|'))
    problems.push(
      `deps: must copy only the pruned dist/apps/${app}/package.json and package-lock.json from build`,
    );
  const install = runs(deps);
  if (install.length !== 1 || !/\bnpm ci\b.*--omit=dev/.test(install[0]!))
    problems.push('deps: must install with npm ci --omit=dev (production dependencies only)');

  if (!runtime.from.endsWith('-slim')) problems.push(`runtime: ${runtime.from} is not a slim base`);
  for (const words of copies(runtime)) {
    const from = words.find((w) => w.startsWith('--from='))?.slice(7);
    const paths = words.filter((w) => !w.startsWith('--')).slice(0, -1);
    for (const path of paths) {
      const ok =
        (from === 'deps' && path === '/app/node_modules') ||
        (from === 'build' && path === `/workspace/dist/apps/${app}`) ||
        (from === undefined && path === 'chatops.config.yaml');
      if (!ok)
        problems.push(`runtime: COPY ${from ? `--from=${from} ` : ''}${path} is not allowed`);
    }
  }
  if (!copies(runtime).some((w) => w.includes('--from=deps')))
    problems.push('runtime: node_modules must come from the deps stage');
  const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)?.args;
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push('runtime: must end with a non-root USER');
  const healthcheck = runtime.instructions.find((i) => i.op === 'HEALTHCHECK')?.args;
  if (!healthcheck || !healthcheck.includes('CMD '))
    problems.push('runtime: needs a HEALTHCHECK … CMD');
  else if (!healthcheck.includes('/health/ready'))
    problems.push('runtime: the HEALTHCHECK must probe /health/ready');
  const cmd = runtime.instructions.find((i) => i.op === 'CMD')?.args;
  try {
    const argv = execForm(cmd ?? '');
    if (argv[0] !== 'node' || argv.at(-1) !== 'main.js')
      problems.push('runtime: CMD must run node … main.js');
  } catch {
    problems.push('runtime: CMD must be exec form (["node", …]) so signals reach node');
  }
  return problems;
}

describe.each(APPS)('apps/%s/Dockerfile', (app) => {
  const text = dockerfileText(app);

  it('follows every rule', () => {
    expect(imageProblems(parseDockerfile(text), app)).toEqual([]);
  });

  it.each([
    [
      'a floating base',
      (t: string) => t.replace(/ARG NODE_VERSION=.*/, 'ARG NODE_VERSION=22'),
      'NODE_VERSION must be an exact version (x.y.z), not "22"',
    ],
    [
      'an odd (non-LTS) Node',
      (t: string) => t.replace(/ARG NODE_VERSION=.*/, 'ARG NODE_VERSION=23.11.0'),
      'NODE_VERSION 23.11.0 is not an LTS line of 22 or newer',
    ],
    [
      'Node 20',
      (t: string) => t.replace(/ARG NODE_VERSION=.*/, 'ARG NODE_VERSION=20.19.5'),
      'NODE_VERSION 20.19.5 is not an LTS line of 22 or newer',
    ],
    [
      'another base image',
      (t: string) =>
        t.replace(/FROM node:\$\{NODE_VERSION\}-bookworm AS deps/, 'FROM node:latest AS deps'),
      'stage deps: FROM node:latest is not node:${NODE_VERSION}-…',
    ],
    [
      'dev dependencies installed',
      (t: string) => t.replace(/npm ci --omit=dev/, 'npm ci'),
      'deps: must install with npm ci --omit=dev (production dependencies only)',
    ],
    [
      "the workspace's lockfile instead of the pruned one",
      (t: string) =>
        t.replace(
          new RegExp(
            `COPY --from=build /workspace/dist/apps/${app}/package.json /workspace/dist/apps/${app}/package-lock.json`,
          ),
          'COPY package.json package-lock.json',
        ),
      `deps: must copy only the pruned dist/apps/${app}/package.json and package-lock.json from build`,
    ],
    [
      "the build stage's node_modules",
      (t: string) =>
        t.replace(
          'COPY --from=deps /app/node_modules',
          'COPY --from=build /workspace/node_modules',
        ),
      [
        'runtime: COPY --from=build /workspace/node_modules is not allowed',
        'runtime: node_modules must come from the deps stage',
      ],
    ],
    [
      'the whole context in the runtime',
      (t: string) => t.replace(/(USER node)/, 'COPY . .\n$1'),
      'runtime: COPY . is not allowed',
    ],
    [
      'running as root',
      (t: string) => t.replace(/^USER node$/m, ''),
      'runtime: must end with a non-root USER',
    ],
    [
      'USER root',
      (t: string) => t.replace(/^USER node$/m, 'USER root'),
      'runtime: must end with a non-root USER',
    ],
    [
      'no HEALTHCHECK',
      (t: string) => t.replace(/^HEALTHCHECK.*$/m, ''),
      'runtime: needs a HEALTHCHECK … CMD',
    ],
    [
      'a shell-form CMD',
      (t: string) => t.replace(/^CMD .*$/m, 'CMD node main.js'),
      'runtime: CMD must be exec form (["node", …]) so signals reach node',
    ],
    [
      'a full runtime base',
      (t: string) => t.replace('-bookworm-slim AS runtime', '-bookworm AS runtime'),
      `runtime: node:${parseDockerfile(text).args['NODE_VERSION']}-bookworm is not a slim base`,
    ],
  ])('refuses %s', (_what, mutate, problem) => {
    const mutated = mutate(text);
    expect(mutated).not.toBe(text);
    expect(imageProblems(parseDockerfile(mutated), app)).toEqual([problem].flat());
  });

  it('has an Nx docker-build target building it from the repository root', () => {
    const project = JSON.parse(readFileSync(join(ROOT, 'apps', app, 'project.json'), 'utf8')) as {
      targets: Record<string, { options?: { command?: string } }>;
    };
    expect(project.targets['docker-build']?.options?.command).toMatch(
      new RegExp(`^docker buildx build .*--file apps/${app}/Dockerfile .* \\.$`),
    );
  });
});

describe('.dockerignore', () => {
  const inContext = buildContextFilter(ROOT);

  it('lets in what the builds read', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'nx.json',
      'tsconfig.base.json',
      'chatops.config.yaml',
      'apps/api/src/main.ts',
      'apps/api/project.json',
      'apps/api/webpack.config.cjs',
      'apps/bot/tsconfig.app.json',
      'libs/shared/domain/src/index.ts',
      'libs/api/persistence/src/migrations/index.ts',
      'tools/webpack/node-app.cjs',
    ])
      expect({ path, inContext: inContext(path) }).toEqual({ path, inContext: true });
  });

  it('keeps out secrets, state, local builds, tests and what images do not need', () => {
    for (const path of [
      '.env',
      '.git/config',
      'node_modules/zod/package.json',
      'dist/apps/api/main.js',
      'data/chatops.sqlite',
      'tmp/x',
      '.nx/cache/x',
      'infra/envs/prod/main.tf',
      'infra/bootstrap/terraform.tfstate',
      'packer/docker-host.pkr.hcl',
      'deploy/compose.yaml',
      'apps/api/src/main.spec.ts',
      'apps/api/test/api.e2e.spec.ts',
      'libs/shared/domain/src/catalog.spec.ts',
      'apps/sandbox/x',
      'tools/sandbox/src/main.ts',
    ])
      expect({ path, inContext: inContext(path) }).toEqual({ path, inContext: false });
  });
});
