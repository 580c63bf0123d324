import { join, resolve } from 'node:path';
import { freePort, startNode, waitForHttp } from '@chatops/testing';

const ROOT = resolve(__dirname, '../..');

describe('npm start with no credentials', () => {
  it('starts the API and the bot, says there is no Discord connection, and stops cleanly', async () => {
    const [apiPort, botPort] = [await freePort(), await freePort()];
    const env: Record<string, string> = {
      API_PORT: String(apiPort),
      BOT_PORT: String(botPort),
      DATABASE_URL: `sqlite:${join(ROOT, 'tmp', `sandbox-${apiPort}`, 'chatops.sqlite')}`,
    };
    const launcher = startNode(join(ROOT, 'tools/sandbox/start.mjs'), env, {
      cwd: ROOT,
      args: ['--no-build'],
    });
    try {
      await waitForHttp(`http://127.0.0.1:${apiPort}/health/ready`, {
        process: launcher,
        timeoutMs: 30_000,
      });
      await waitForHttp(`http://127.0.0.1:${botPort}/health`, {
        status: 503,
        process: launcher,
        timeoutMs: 30_000,
      });
      const deadline = Date.now() + 10_000;
      while (!launcher.output().includes('Ctrl-C stops everything') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(launcher.output()).toContain(
        'Sandbox: no Discord connection configured (DISCORD_TOKEN unset)',
      );
      expect(launcher.output()).toContain('[bot] warn  No Discord connection configured');
    } finally {
      const { code } = await launcher.stop('SIGTERM');
      expect(code).toBe(0);
    }
    await expect(fetch(`http://127.0.0.1:${apiPort}/health/live`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${botPort}/health/live`)).rejects.toThrow();
  });
});
