import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BOT_CHANNEL_PERMISSIONS } from '@chatops/discord-rest';

/**
 * docs/going-live.md is followed by people with nothing else open: every variable it names is
 * one the product reads (.env.example) or one the workflows read on GitHub (`vars.X`), every
 * command one package.json runs, every path one that exists, and the permissions it asks for the
 * invite's.
 */
const ROOT = resolve(__dirname, '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const guide = read('docs/going-live.md');
const spans = [...guide.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string);
const blocks = [...guide.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] as string);

describe('docs/going-live.md', () => {
  it('is linked from the README', () => {
    expect(read('README.md')).toContain('](docs/going-live.md)');
  });

  it('names only variables the product or the workflows read', () => {
    const envExample = new Set(
      [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]),
    );
    const workflows = ['deploy.yml', 'infra.yml', 'ami.yml']
      .map((f) => read(join('.github/workflows', f)))
      .join('\n');
    const github = new Set([...workflows.matchAll(/\bvars\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]));
    const named = [...new Set(spans.filter((s) => /^[A-Z][A-Z0-9_]{3,}$/.test(s)))];
    expect(named.length).toBeGreaterThan(15);
    expect(named.filter((v) => !envExample.has(v) && !github.has(v))).toEqual([]);
    // The ones a team sets going live are all there.
    expect(named).toEqual(
      expect.arrayContaining([
        'DISCORD_TOKEN',
        'DISCORD_APPLICATION_ID',
        'DISCORD_GUILD_ID',
        'ALERTS_CHANNEL_ID',
        'GITHUB_APP_ID',
        'GITHUB_APP_PRIVATE_KEY',
        'GITHUB_APP_INSTALLATION_ID',
        'GITHUB_TOKEN',
        'GITHUB_WEBHOOK_SECRET',
        'AWS_REGION',
        'ALERTMANAGER_URL',
      ]),
    );
  });

  it('runs only commands package.json has', () => {
    const scripts = Object.keys(
      (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts,
    );
    const commands = [...guide.matchAll(/\bnpm (run [\w:-]+|start|test)\b/g)].map((m) =>
      (m[1] as string).replace(/^run /, ''),
    );
    expect(commands).toEqual(expect.arrayContaining(['doctor', 'commands:register', 'start']));
    expect(commands.filter((c) => !scripts.includes(c))).toEqual([]);
  });

  it('points at files that exist', () => {
    const paths = spans.filter((s) =>
      /^(\.github|deploy|infra|libs|docs|packer)\/[\w./-]*$|^(chatops\.config\.yaml|\.env\.example)$/.test(
        s,
      ),
    );
    expect(paths.length).toBeGreaterThan(3);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
    expect(blocks.join('\n')).toContain('npm run doctor');
  });

  it('asks the invite for exactly the permissions the bot needs', () => {
    const asked = /permissions the bot needs in its channels: \*\*([^*]+)\*\*/.exec(
      guide.replace(/\s+/g, ' '),
    )?.[1];
    expect(asked?.split(', ').sort()).toEqual(BOT_CHANNEL_PERMISSIONS.map((p) => p.name).sort());
  });
});
