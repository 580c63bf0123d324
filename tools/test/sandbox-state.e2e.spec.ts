import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { shaOf } from '@chatops/github-sim';
import {
  eventually,
  freePort,
  sandboxPorts,
  startNode,
  waitForHttp,
  type RunningProcess,
} from '@chatops/testing';

/**
 * The sandbox as a user runs it, across restarts: start, deploy, silence an alert, stop, start,
 * deploy; everything the commands show agrees; a sandbox killed mid-deploy carries the run on;
 * --reset starts clean. Real processes throughout (launcher, API, bot, Alertmanager).
 */
const ROOT = resolve(__dirname, '../..');
const LAUNCHER = join(ROOT, 'tools/sandbox/start.mjs');

let env: Record<string, string>;

beforeAll(async () => {
  env = {
    ...(await sandboxPorts()),
    SANDBOX_DATA_DIR: join(ROOT, 'tmp', `restarts-${process.pid}`),
  };
});

const running: RunningProcess[] = [];
afterAll(async () => {
  for (const sandbox of running) await sandbox.stop('SIGTERM');
  rmSync(env['SANDBOX_DATA_DIR'] ?? '', { recursive: true, force: true });
});

async function start(args: string[] = []): Promise<RunningProcess> {
  const sandbox = startNode(LAUNCHER, env, {
    cwd: ROOT,
    args: ['--no-build', '--no-console', ...args],
  });
  running.push(sandbox);
  await waitForHttp(`http://127.0.0.1:${env['BOT_PORT']}/health`, {
    process: sandbox,
    timeoutMs: 60_000,
  });
  // The banner comes once everything listens.
  await until('the banner', async () =>
    sandbox.output().includes('Ctrl-C stops everything') ? true : undefined,
  );
  return sandbox;
}

function chat(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child: ChildProcess = execFile(
      process.execPath,
      [LAUNCHER, '--chat', '--no-build', ...args],
      { cwd: ROOT, env: { PATH: process.env['PATH'], HOME: process.env['HOME'] } },
      (_error, stdout, stderr) => done({ code: child.exitCode, stdout, stderr }),
    );
  });
}

const sandboxState = () =>
  JSON.parse(readFileSync(join(ROOT, 'tmp/sandbox/state.json'), 'utf8')) as {
    pid: number;
    alertmanagerUrl: string;
    githubUrl: string;
    simUrl: string;
  };

async function githubRuns(): Promise<{ id: number; status: string; conclusion: string | null }[]> {
  const res = await fetch(`${sandboxState().githubUrl}/_sim/github/runs`);
  return (
    (await res.json()) as { runs: { id: number; status: string; conclusion: string | null }[] }
  ).runs;
}

/** Waits for a probe, giving the sandbox the time a busy CI needs. */
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) =>
  eventually(what, probe, { timeoutMs, intervalMs: 200 });

const runId = (stdout: string) => Number(/as run \[#(\d+)\]/.exec(stdout)?.[1]);

describe('a sandbox that survives restarts', () => {
  let firstRun: number;

  it('deploys and silences an alert, then carries on after a restart with everything agreeing', async () => {
    const first = await start();
    expect(first.output()).toContain('State    kept in');
    const deploy = await chat(['/deploy service:api env:staging ref:main']);
    expect(deploy.code).toBe(0);
    firstRun = runId(deploy.stdout);
    expect(firstRun).toBeGreaterThan(0);

    // An alert through the sandbox's Alertmanager, silenced from its message.
    const alert = await fetch(`${sandboxState().alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: {
            alertname: 'ApiDown',
            environment: 'staging',
            service: 'api',
            severity: 'critical',
          },
          annotations: { summary: 'api is down' },
        },
      ]),
    });
    expect(alert.status).toBe(200);
    await until('the alert message', async () => {
      const res = await fetch(`${sandboxState().simUrl}/_sim/messages`);
      const { messages } = (await res.json()) as { messages: { message: { content: string } }[] };
      return messages.some((m) => m.message.content.includes('ApiDown')) ? true : undefined;
    });
    const silence = await chat(['--press', 'Silence 1h', '--as', 'sre1', '--roles', 'sre']);
    expect(silence.stdout).toContain('🔕 Silenced for 1h');
    expect(silence.code).toBe(0);

    expect((await first.stop('SIGTERM')).code).toBe(0);

    const second = await start();
    expect(second.output()).toContain('State    carried on from');
    const again = await chat(['/deploy service:api env:staging ref:develop']);
    expect(again.stdout).toMatch(/✅ Succeeded: deploy api@develop → staging/);
    expect(again.code).toBe(0);
    // GitHub carried on numbering: no second run 9000000001 sharing the first one's id.
    expect(runId(again.stdout)).toBe(firstRun + 1);

    const runs = await chat(['/runs']);
    expect(runs.stdout).toContain('Recent runs (2)');
    expect(runs.stdout).toContain(`succeeded · [run #${firstRun + 1}]`);
    expect(runs.stdout).toContain(`succeeded · [run #${firstRun}]`);
    expect(await githubRuns()).toEqual([
      expect.objectContaining({ id: firstRun, status: 'completed', conclusion: 'success' }),
      expect.objectContaining({ id: firstRun + 1, status: 'completed', conclusion: 'success' }),
    ]);

    const status = await chat(['/status env:staging']);
    const develop = shaOf('develop').slice(0, 12);
    expect(status.stdout).toContain('✅ Fleet status: every host runs its desired versions');
    // The AWS stand-in kept the first deploy in its history: v1 (v1.4.0), main, develop.
    expect(status.stdout).toMatch(
      new RegExp(`api: desired \`${develop}\` \\(Parameter Store version 3, `),
    );
    expect(status.stdout).toContain('last: deploy `develop` succeeded by user1');

    const audit = await chat(['/audit']);
    expect(audit.stdout).toContain('**sre1** silence staging · succeeded');
    // Each deploy's end, with the ref it deployed and its run.
    const ends = audit.stdout.match(
      /\*\*GitHub Actions\*\* deploy api → staging · `(main|develop)` · \[run #\d+\]\(http[^)]+\) · succeeded/g,
    );
    expect(ends?.map((line) => /`(\w+)`/.exec(line)?.[1]).sort()).toEqual(['develop', 'main']);

    const silences = await chat(['/silences', '--as', 'sre1', '--roles', 'sre']);
    expect(silences.stdout).toContain('🔕 1 silence');
    expect(silences.stdout).toContain('`alertname="ApiDown"`');
    expect(silences.stdout).toContain('by sre1');
  }, 240_000);

  it('carries a deploy on when the sandbox was killed in the middle of it', async () => {
    const deploying = chat(['/deploy service:bot env:staging ref:main']);
    const killed = await until('the run to be in progress', async () => {
      const runs = await githubRuns();
      const newest = runs.at(-1);
      return newest && newest.id === firstRun + 2 && newest.status === 'in_progress'
        ? newest
        : undefined;
    });
    process.kill(sandboxState().pid, 'SIGKILL');
    await deploying;

    const third = await start();
    expect(third.output()).toMatch(
      /Stopped what a sandbox that was killed left running: alertmanager \(pid \d+\), api \(pid \d+\), bot \(pid \d+\)/,
    );
    const done = await until('the killed run to finish', async () => {
      const run = (await githubRuns()).find((r) => r.id === killed.id);
      return run?.status === 'completed' ? run : undefined;
    });
    expect(done.conclusion).toBe('success');
    const status = await until('the API to record the deploy', async () => {
      const result = await chat(['/status env:staging']);
      return result.stdout.includes('bot: desired') &&
        result.stdout.includes('last: deploy `main` succeeded by user1')
        ? result
        : undefined;
    });
    expect(status.stdout).toMatch(new RegExp(`bot: desired \`${shaOf('main').slice(0, 12)}\``));
    const runs = await chat(['/runs']);
    expect(runs.stdout).toContain('Recent runs (3)');
    // The lease is released: another deploy of bot is not told it is locked.
    const next = await chat(['/deploy service:bot env:staging ref:develop']);
    expect(next.stdout).toMatch(/✅ Succeeded: deploy bot@develop → staging/);
    expect(runId(next.stdout)).toBe(firstRun + 3);
    expect((await third.stop('SIGTERM')).code).toBe(0);
  }, 240_000);

  it('starts clean with --reset', async () => {
    const fresh = await start(['--reset']);
    expect(fresh.output()).toContain('Reset: the saved sandbox state and database are gone');
    const runs = await chat(['/runs']);
    expect(runs.stdout).toContain('Nothing has run yet.');
    const silences = await chat(['/silences']);
    expect(silences.stdout).toContain('🔔 No active silences.');
    const deploy = await chat(['/deploy service:api env:staging ref:main']);
    expect(runId(deploy.stdout)).toBe(9_000_000_001);
    expect((await fresh.stop('SIGTERM')).code).toBe(0);
  }, 180_000);
});

describe('start-up problems the sandbox explains', () => {
  const launch = (extra: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child: ChildProcess = execFile(
        process.execPath,
        [LAUNCHER, '--no-build', '--no-console'],
        {
          cwd: ROOT,
          env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env, ...extra },
        },
        (_error, stdout, stderr) => done({ code: child.exitCode, stdout, stderr }),
      );
    });
  const scratch = () => {
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    return mkdtempSync(join(ROOT, 'tmp', 'startup-'));
  };

  it('names a port in use and the variable that moves it, and starts nothing', async () => {
    const blocker = createServer();
    // A port of its own, not one of the sandbox's others (the message would name two variables).
    let port = await freePort();
    while (Object.values(env).includes(String(port))) port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    const dir = scratch();
    try {
      const result = await launch({ SIM_PORT: String(port), SANDBOX_DATA_DIR: dir });
      expect(result.stderr).toContain(
        `port ${port} on 127.0.0.1 (the Discord simulator) is in use: stop what listens there, or set SIM_PORT to another port`,
      );
      expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(result.code).toBe(1);
      await expect(fetch(`http://127.0.0.1:${env['API_PORT']}/health/live`)).rejects.toThrow();
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bake length that is not a whole number of minutes up to 60, and starts nothing', async () => {
    const dir = scratch();
    try {
      for (const value of ['1.5', '61', 'soon']) {
        const result = await launch({ SANDBOX_BAKE_MINUTES: value, SANDBOX_DATA_DIR: dir });
        expect(result.stderr).toContain(
          'SANDBOX_BAKE_MINUTES must be a whole number of minutes from 0 to 60',
        );
        expect(result.code).toBe(1);
      }
      await expect(fetch(`http://127.0.0.1:${env['API_PORT']}/health/live`)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a database whose stand-ins were not kept, and a damaged state file, saying to --reset', async () => {
    const dir = scratch();
    try {
      writeFileSync(join(dir, 'chatops.sqlite'), '');
      const orphaned = await launch({ SANDBOX_DATA_DIR: dir });
      expect(orphaned.stderr).toMatch(
        /chatops\.sqlite holds deployments from a sandbox that did not keep GitHub's, AWS's and Discord's state beside it: start with `npm start -- --reset`/,
      );
      expect(orphaned.code).toBe(1);

      writeFileSync(join(dir, 'sandbox.json'), '{"version":1}');
      writeFileSync(join(dir, 'github.json'), '{"runs": [');
      const damaged = await launch({ SANDBOX_DATA_DIR: dir });
      expect(damaged.stderr).toMatch(
        /github\.json is not valid JSON \(.+\): start with `npm start -- --reset`/,
      );
      expect(damaged.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
