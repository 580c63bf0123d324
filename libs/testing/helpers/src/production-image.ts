import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse as parsePath, resolve } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { type RunningProcess, startProcess } from './process';

/**
 * What an app's Docker image would hold and run, assembled without a Docker engine: the
 * Dockerfile's deps and runtime stages are replayed in a temporary directory outside the
 * workspace (so nothing resolves from the workspace's node_modules), with the build stage's
 * output taken from the workspace's own `nx build` (dist/apps/<app>).
 */

export interface DockerInstruction {
  op: string;
  /** The instruction's text after its keyword, continuation lines joined. */
  args: string;
}

export interface DockerStage {
  name: string;
  /** The FROM image with build arguments substituted. */
  from: string;
  instructions: DockerInstruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  args: Record<string, string>;
  stages: DockerStage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const op = keyword.toUpperCase();
    if (op === 'FROM') {
      const [image = '', as, name] = rest.split(/\s+/);
      const from = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => {
        const key = a ?? b ?? '';
        const value = args[key];
        if (value === undefined) throw new Error(`FROM uses \${${key}}, which no ARG declares`);
        return value;
      });
      stages.push({
        name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length),
        from,
        instructions: [],
      });
    } else if (op === 'ARG' && stages.length === 0) {
      const [key = '', value = ''] = rest.split('=', 2);
      args[key] = value;
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${op} before the first FROM`);
      stage.instructions.push({ op, args: rest });
    }
  }
  return { args, stages };
}

/** `["node", "main.js"]` (exec form); shell form is refused: signals would not reach node. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string'))
    throw new Error(`not an exec-form array: ${args}`);
  return parsed as string[];
}

export interface AssembledImage {
  /** The runtime stage's WORKDIR, here: start CMD in it. */
  dir: string;
  /** The runtime stage's ENV. */
  env: Record<string, string>;
  user: string | null;
  cmd: string[];
  /** HEALTHCHECK's command (exec form after CMD) and its options. */
  healthcheck: { options: string; command: string[] } | null;
  exposed: string[];
  /** Runtime RUN instructions (not replayed here: they touch the image's root filesystem). */
  skippedRuns: string[];
  /** What the deps stage's install printed. */
  installOutput: string;
}

/**
 * Replays `apps/<app>/Dockerfile`'s last two stages: the deps stage's COPY and RUN (the
 * production install from the pruned lockfile) and the runtime stage's COPY, ENV, USER,
 * HEALTHCHECK and CMD. COPY --from the build stage reads the workspace's dist/ (what the
 * build stage's `nx build` writes); other COPYs read the build context (the workspace).
 */
export function assembleProductionImage(workspace: string, app: string): AssembledImage {
  const dockerfile = parseDockerfile(
    readFileSync(join(workspace, 'apps', app, 'Dockerfile'), 'utf8'),
  );
  if (dockerfile.stages.length < 3)
    throw new Error(`apps/${app}/Dockerfile: expected build, deps and runtime stages`);
  const root = mkdtempSync(join(tmpdir(), `chatops-${app}-image-`));
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules')))
      throw new Error(`${dir}/node_modules exists: the bundle could resolve packages from it`);
    if (dir === parsePath(dir).root) break;
  }
  // Each stage's WORKDIR maps to a directory here; the build stage's to the workspace.
  const stageDirs = new Map<string, { workdir: string; dir: string }>();
  const [build, ...rest] = dockerfile.stages as [DockerStage, ...DockerStage[]];
  stageDirs.set(build.name, { workdir: workdirOf(build), dir: workspace });
  let installOutput = '';
  let image: AssembledImage | null = null;
  rest.forEach((stage, index) => {
    const dir = join(root, stage.name);
    mkdirSync(dir, { recursive: true });
    stageDirs.set(stage.name, { workdir: workdirOf(stage), dir });
    const runtime = index === rest.length - 1;
    const result: AssembledImage = {
      dir,
      env: {},
      user: null,
      cmd: [],
      healthcheck: null,
      exposed: [],
      skippedRuns: [],
      installOutput: '',
    };
    for (const { op, args } of stage.instructions) {
      switch (op) {
        case 'COPY': {
          const words = args.split(/\s+/);
          const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
          const paths = words.filter((w) => !w.startsWith('--'));
          const dest = paths.pop() ?? '';
          const target = resolve(dir, dest);
          const intoDirectory = dest.endsWith('/') || paths.length > 1;
          const source = from ? stageDirs.get(from) : { workdir: '/', dir: workspace };
          if (!source) throw new Error(`COPY --from=${from}: no such stage before ${stage.name}`);
          for (const path of paths) {
            const absolute = path.startsWith('/') ? path : join(source.workdir, path);
            if (!absolute.startsWith(source.workdir))
              throw new Error(`COPY ${path}: outside stage ${from}'s WORKDIR ${source.workdir}`);
            const src = join(source.dir, absolute.slice(source.workdir.length));
            // Like Docker: a directory's contents go into the target; a file into it, or as it.
            const file = !statSync(src).isDirectory();
            cpSync(src, file && intoDirectory ? join(target, parsePath(src).base) : target, {
              recursive: true,
              verbatimSymlinks: true,
            });
          }
          break;
        }
        case 'RUN': {
          const command = args.replace(/--mount=\S+\s+/g, '');
          if (runtime) {
            result.skippedRuns.push(command);
            break;
          }
          installOutput += execFileSync('sh', ['-c', command], {
            cwd: dir,
            env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          break;
        }
        case 'ENV':
          for (const [, key, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
            if (key && value) result.env[key] = value.replace(/^"|"$/g, '');
          break;
        case 'USER':
          result.user = args;
          break;
        case 'EXPOSE':
          result.exposed.push(...args.split(/\s+/));
          break;
        case 'CMD':
          result.cmd = execForm(args);
          break;
        case 'HEALTHCHECK': {
          const at = args.indexOf('CMD ');
          result.healthcheck = {
            options: args.slice(0, at).trim(),
            command: execForm(args.slice(at + 4)),
          };
          break;
        }
        case 'WORKDIR':
        case 'VOLUME':
          break;
        default:
          throw new Error(`${stage.name}: ${op} is not understood by assembleProductionImage`);
      }
    }
    if (runtime) image = { ...result, installOutput };
  });
  if (!image) throw new Error(`apps/${app}/Dockerfile: no runtime stage`);
  return image;
}

function workdirOf(stage: DockerStage): string {
  const workdir = stage.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args;
  if (!workdir?.startsWith('/')) throw new Error(`stage ${stage.name} needs an absolute WORKDIR`);
  return workdir;
}

/** Whether a workspace path (relative, `/`-separated) reaches the Docker build context. */
export function buildContextFilter(workspace: string): (path: string) => boolean {
  const rules = dockerignore().add(readFileSync(join(workspace, '.dockerignore'), 'utf8'));
  return (path) => !rules.ignores(path);
}

/**
 * What is wrong with the image's installed dependencies: a dependency of its pruned manifest
 * missing, a manifest with devDependencies, or a workspace tool installed.
 */
export function productionInstallProblems(image: AssembledImage): string[] {
  const manifest = JSON.parse(readFileSync(join(image.dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: unknown;
  };
  const problems: string[] = [];
  if (manifest.devDependencies !== undefined) problems.push('package.json has devDependencies');
  const dependencies = Object.keys(manifest.dependencies ?? {});
  if (!dependencies.length) problems.push('package.json lists no dependencies');
  for (const name of dependencies)
    if (!existsSync(join(image.dir, 'node_modules', name, 'package.json')))
      problems.push(`${name} is not installed`);
  for (const tool of ['typescript', 'jest', 'nx', 'webpack', 'eslint', '@swc/core'])
    if (existsSync(join(image.dir, 'node_modules', tool))) problems.push(`${tool} is installed`);
  return problems;
}

/**
 * The workspace files each bundle was built from (its source map's `webpack:///./` sources),
 * and those `.dockerignore` keeps out of the build context.
 */
export function bundleSources(
  workspace: string,
  image: AssembledImage,
  bundle: string,
): { sources: string[]; outsideContext: string[] } {
  const map = JSON.parse(readFileSync(join(image.dir, `${bundle}.map`), 'utf8')) as {
    sources: string[];
  };
  const sources = map.sources
    .filter((s) => s.startsWith('webpack:///./'))
    .map((s) => s.slice('webpack:///./'.length));
  const inContext = buildContextFilter(workspace);
  return { sources, outsideContext: sources.filter((path) => !inContext(path)) };
}

/** Runs the image's HEALTHCHECK command against a port; resolves with its exit code. */
export async function runHealthcheck(image: AssembledImage, port: number): Promise<number | null> {
  const [program, ...args] = image.healthcheck?.command ?? [];
  if (program !== 'node') throw new Error(`HEALTHCHECK runs ${program ?? 'nothing'}, not node`);
  const check = startProcess(process.execPath, args, { PORT: String(port) }, { cwd: image.dir });
  return (await check.exited).code;
}

/** Starts the image's CMD (a node program) in its directory with the image's ENV and `env`. */
export function startImage(image: AssembledImage, env: Record<string, string>): RunningProcess {
  const [program, ...args] = image.cmd;
  if (program !== 'node') throw new Error(`CMD runs ${program ?? 'nothing'}, not node`);
  return startProcess(process.execPath, args, { ...image.env, ...env }, { cwd: image.dir });
}
