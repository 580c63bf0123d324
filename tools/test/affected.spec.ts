import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/**
 * `nx affected` as CI runs it (base and head commits, as nrwl/nx-set-shas gives them): a copy of
 * the workspace in a fresh git repository, one commit changing one file, and the projects Nx
 * then says are affected. What CI builds and tests follows from this.
 */
const ROOT = resolve(__dirname, '../..');
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

  it('a change in a bot-only lib affects the bot and not the api', () => {
    const affected = affectedBy('libs/bot/bot-commands/src/index.ts');
    expect(affected).toEqual(expect.arrayContaining(['bot-commands', 'bot']));
    expect(affected).not.toContain('api');
    expect(affectedBy('libs/bot/bot-commands/src/index.ts', 'build')).toEqual(['bot', 'sandbox']);
  });

  it('a change in a shared lib affects both apps', () => {
    const affected = affectedBy('libs/shared/domain/src/index.ts');
    expect(affected).toEqual(expect.arrayContaining(['domain', 'api', 'bot']));
    expect(affectedBy('libs/shared/domain/src/index.ts', 'build')).toEqual([
      'api',
      'bot',
      'rollout',
      'sandbox',
    ]);
  });

  it('a change in an api-only lib affects the api and not the bot', () => {
    const affected = affectedBy('libs/api/deployments/src/index.ts');
    expect(affected).toEqual(expect.arrayContaining(['deployments', 'api']));
    expect(affected).not.toContain('bot');
  });

  it('a Terraform-only change affects infra and no app', () => {
    expect(affectedBy('infra/modules/ecr/main.tf')).toEqual(['infra']);
  });
});
