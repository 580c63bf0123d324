import { generateKeyPairSync } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GithubSimulator, shaOf } from '@chatops/github-sim';
import { GithubError } from '../src/github.repository';
import {
  logTail,
  OctokitGithubRepository,
  OctokitGithubOptions,
  dispatchInputsOf,
} from '../src/octokit-github.repository';

const TOKEN = 'ghs_standintoken000000000000000000000';
let github: GithubSimulator;

beforeEach(async () => {
  github = await new GithubSimulator({
    owner: 'acme',
    repo: 'chatops',
    token: TOKEN,
    timing: { queuedMs: 20, stepMs: 10 },
  }).start();
});
afterEach(() => github.stop());

function repository(overrides: Partial<OctokitGithubOptions> = {}): OctokitGithubRepository {
  return new OctokitGithubRepository({
    owner: 'acme',
    repo: 'chatops',
    auth: { kind: 'token', token: TOKEN },
    baseUrl: github.baseUrl,
    writeIntervalMs: 0,
    correlation: { attempts: 20, intervalMs: 50 },
    ...overrides,
  });
}

const deploy = (requestId: string) => ({
  workflow: 'deploy.yml',
  ref: 'main',
  requestId,
  inputs: { service: 'api', environment: 'staging', ref: 'main', request_id: requestId },
});

async function settled(runId: string) {
  for (let i = 0; i < 200 && github.run(runId)?.status !== 'completed'; i++)
    await new Promise((r) => setTimeout(r, 10));
  return github.run(runId);
}

describe('OctokitGithubRepository against the GitHub stand-in (HTTP level)', () => {
  it('dispatches with return_run_details and knows the run at once', async () => {
    const run = await repository().dispatchWorkflow(deploy('req-a'));
    expect(run.correlatedBy).toBe('run-details');
    expect(github.run(run.runId)?.display_title).toBe('Deploy api to staging @ main [req-a]');
    expect(run.runUrl).toBe(`https://github.com/acme/chatops/actions/runs/${run.runId}`);
    expect(github.countRequests(/\/dispatches$/)).toBe(1);
    expect(github.countRequests(/\/runs$/)).toBe(0);
  });

  it('falls back to finding the run by the request id in its run-name when the server rejects return_run_details', async () => {
    github.legacyDispatch = true;
    const repo = repository();
    // Another run dispatched just before must not be mistaken for ours.
    const other = repo.dispatchWorkflow(deploy('req-other'));
    const ours = await repo.dispatchWorkflow(deploy('req-ours'));
    await other;
    expect(ours.correlatedBy).toBe('run-name');
    expect(github.run(ours.runId)?.display_title).toContain('[req-ours]');
    // Rejected once with the parameter, accepted without it.
    expect(github.countRequests(/\/dispatches$/)).toBe(4);
  });

  it('says so when the dispatched run never shows up under its run-name', async () => {
    github.legacyDispatch = true;
    const repo = repository({
      correlation: { attempts: 3, intervalMs: 10 },
      // A workflow whose run-name does not carry the request id.
    });
    const error = await repo
      .dispatchWorkflow({ ...deploy('req-x'), requestId: 'req-never' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GithubError);
    expect(error).toMatchObject({ kind: 'not-correlated' });
    expect((error as Error).message).toMatch(/no run named with request req-never appeared/);
  });

  it('tells branches, tags and commit SHAs that exist from those that do not', async () => {
    const repo = repository();
    expect(await repo.refExists('main')).toBe(true);
    expect(await repo.refExists('v1.4.0')).toBe(true);
    expect(await repo.refExists(shaOf('develop').slice(0, 12))).toBe(true);
    expect(await repo.refExists('no-such-branch')).toBe(false);
  });

  it('lists branches, tags and recent commits', async () => {
    const refs = await repository().listRefs();
    expect(refs).toEqual(
      expect.arrayContaining([
        { name: 'main', kind: 'branch' },
        { name: 'v1.4.0', kind: 'tag' },
        { name: shaOf('main'), kind: 'commit', description: 'Release main' },
      ]),
    );
  });

  it('reads a commit by SHA, branch or tag, and none for a name the repository lacks', async () => {
    const repo = repository();
    const main = await repo.getCommit('main');
    expect(main).toEqual({
      sha: shaOf('main'),
      url: `https://github.com/acme/chatops/commit/${shaOf('main')}`,
      author: 'octocat',
      title: 'Release main',
      committedAt: expect.any(Number),
    });
    expect(await repo.getCommit(shaOf('main').slice(0, 7))).toEqual(main);
    expect((await repo.getCommit('v1.4.0'))?.sha).toBe(shaOf('v1.4.0'));
    expect(await repo.getCommit('no-such-branch')).toBeNull();
  });

  it('compares as GitHub does: 0, 1 and 12 commits ahead, the newest 10 listed, and a target behind what runs', async () => {
    const repo = repository();
    const running = shaOf('main');
    expect(await repo.compareCommits(running, running, 10)).toMatchObject({
      status: 'identical',
      aheadBy: 0,
      behindBy: 0,
      commits: [],
    });
    const [one] = github.pushCommits('main', 1, 'Fix the login page', 'alice');
    expect(await repo.compareCommits(running, one!.sha, 10)).toEqual({
      status: 'ahead',
      aheadBy: 1,
      behindBy: 0,
      commits: [
        {
          sha: one!.sha,
          url: `https://github.com/acme/chatops/commit/${one!.sha}`,
          author: 'alice',
          title: 'Fix the login page',
          // When it was committed, as GitHub dates it: lead time for changes counts from it.
          committedAt: Date.parse(one!.date),
        },
      ],
      url: `https://github.com/acme/chatops/compare/${running}...${one!.sha}`,
    });
    expect((await repo.getCommit(one!.sha))?.committedAt).toBe(Date.parse(one!.date));
    expect((await repo.getCommit('main'))?.committedAt).toBeLessThanOrEqual(Date.parse(one!.date));
    const twelve = github.pushCommits('main', 11, 'Feature', 'bob');
    const head = twelve[twelve.length - 1]!.sha;
    const ahead = await repo.compareCommits(running, head, 10);
    expect(ahead).toMatchObject({ status: 'ahead', aheadBy: 12, behindBy: 0 });
    // The newest first: the last ten pushed, the first two left for "and 2 more".
    expect(ahead?.commits.map((c) => c.title)).toEqual(
      Array.from({ length: 10 }, (_, i) => `Feature (${11 - i}/11)`),
    );
    expect(await repo.compareCommits(head, running, 10)).toMatchObject({
      status: 'behind',
      aheadBy: 0,
      behindBy: 12,
      commits: [],
    });
    expect(await repo.compareCommits(running, 'no-such-branch', 10)).toBeNull();
  });

  it('pages through a compare longer than a page to list its newest commits', async () => {
    const repo = repository();
    const pushed = github.pushCommits('main', 130, 'Bulk');
    const compare = await repo.compareCommits(shaOf('main'), pushed[129]!.sha, 10);
    expect(compare).toMatchObject({ status: 'ahead', aheadBy: 130 });
    expect(compare?.commits[0]?.title).toBe('Bulk (130/130)');
    expect(compare?.commits[9]?.title).toBe('Bulk (121/130)');
  });

  it('reads runs and jobs as they progress, and cancels a run', async () => {
    github.timing.stepMs = 200;
    const repo = repository();
    const { runId } = await repo.dispatchWorkflow(deploy('req-c'));
    await new Promise((r) => setTimeout(r, 100));
    const jobs = await repo.listJobs(runId);
    expect(jobs[0]).toMatchObject({ name: 'build', status: 'in_progress' });
    expect(jobs[0]?.steps[0]).toMatchObject({ number: 1, name: 'Set up job' });
    await repo.cancelRun(runId);
    expect((await settled(runId))?.conclusion).toBe('cancelled');
    expect(await repo.getRun(runId)).toMatchObject({
      status: 'completed',
      conclusion: 'cancelled',
    });
  });

  it("reads the end of a failed job's log: 20 lines up to its error, masking kept", async () => {
    const repo = repository();
    github.failNext({ job: 'build', step: 'Scan image' });
    const { runId } = await repo.dispatchWorkflow(deploy('req-log'));
    expect((await settled(runId))?.conclusion).toBe('failure');
    const [build] = await repo.listJobs(runId);
    const tail = await repo.failedJobLogTail(build!.id, 20);
    const lines = (tail ?? '').split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[lines.length - 1]).toBe('##[error]Process completed with exit code 1.');
    expect(lines).toContain('Using token *** for the registry');
    expect(lines[0]).toBe('Scan image: output line 14');
    // No timestamps, no cleanup after the error.
    expect(tail).not.toMatch(/\d{4}-\d\d-\d\dT|Post job cleanup/);
    expect(await repo.failedJobLogTail('7999999999', 20)).toBeNull();
  });

  it('reads a log tail without colour codes or carriage returns, and without an error to the end', () => {
    const log = [
      '2026-12-04T10:00:00.0000000Z ##[group]Run build',
      '2026-12-04T10:00:01.0000000Z \u001b[31mred\u001b[0m text\r',
      '2026-12-04T10:00:02.0000000Z ##[endgroup]',
      '2026-12-04T10:00:03.0000000Z last line',
      '',
    ].join('\n');
    expect(logTail(log, 20)).toBe('##[group]Run build\nred text\nlast line');
    expect(logTail(log, 1)).toBe('last line');
  });

  it('retries a read after a 5xx but never retries a dispatch', async () => {
    const repo = repository({ retries: 2 });
    const { runId } = await repo.dispatchWorkflow(deploy('req-r'));
    github.failNextRequests(1, 502);
    expect((await repo.getRun(runId)).id).toBe(runId);

    github.failNextRequests(1, 502);
    const error = await repo.dispatchWorkflow(deploy('req-s')).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'server', status: 502 });
    expect(github.listRuns().some((r) => r.display_title?.includes('req-s'))).toBe(false);
  });

  it('maps bad credentials and unknown workflows to clear errors', async () => {
    const bad = repository({ auth: { kind: 'token', token: 'wrong' } });
    await expect(bad.refExists('main')).rejects.toMatchObject({
      kind: 'unauthorized',
      status: 401,
    });
    await expect(bad.refExists('main')).rejects.toThrow(/rejected our credentials/);
    await expect(
      repository().dispatchWorkflow({ ...deploy('req-w'), workflow: 'nope.yml' }),
    ).rejects.toMatchObject({ kind: 'not-found' });
    await expect(
      repository().dispatchWorkflow({ ...deploy('req-v'), ref: 'gone' }),
    ).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/No ref found for: gone/),
    });
  });

  it('waits out a primary rate limit and then succeeds', async () => {
    const repo = repository();
    github.failNextRequests(1, 403);
    expect(await repo.refExists('main')).toBe(true);
    expect(github.countRequests(/\/commits\/main$/)).toBe(2);
  });

  it('reports a timeout when GitHub does not answer', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const { port } = silent.address() as AddressInfo;
    try {
      const repo = repository({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 100, retries: 0 });
      await expect(repo.getRun('1')).rejects.toMatchObject({ kind: 'timeout' });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('authenticates as a GitHub App installation', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await github.stop();
    github = await new GithubSimulator({
      owner: 'acme',
      repo: 'chatops',
      token: TOKEN,
      app: {
        appId: '12345',
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        installationId: 678,
      },
    }).start();
    const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const asApp = repository({
      auth: { kind: 'app', appId: '12345', privateKey: privateKeyPem, installationId: 678 },
    });
    expect(await asApp.refExists('main')).toBe(true);
    expect(github.countRequests(/^POST \/app\/installations\/678\/access_tokens$/)).toBe(1);
    const wrongKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const impostor = repository({
      auth: { kind: 'app', appId: '12345', privateKey: wrongKey, installationId: 678 },
    });
    await expect(impostor.refExists('main')).rejects.toMatchObject({ kind: 'unauthorized' });
    // Its events go to the App's own webhook: none configured on this stand-in.
    expect(await asApp.webhooks()).toEqual([
      { source: 'app', url: '', events: [], active: true, hasSecret: false, contentType: null },
    ]);
  });

  it("reads what `npm run doctor` checks: the repository, a workflow's dispatch inputs, the webhooks", async () => {
    const repo = repository();
    expect(await repo.repositoryName()).toBe('acme/chatops');
    expect(await repo.workflowSetup('deploy.yml')).toEqual({
      path: '.github/workflows/deploy.yml',
      state: 'active',
      dispatchInputs: ['environment', 'ref', 'request_id', 'service'],
    });
    expect(await repo.workflowSetup('nope.yml')).toBeNull();
    expect(await repo.webhooks()).toEqual([]);
    await github.stop();
    github = await new GithubSimulator({
      owner: 'acme',
      repo: 'chatops',
      token: TOKEN,
      webhook: { url: 'https://chatops.example.com/v1/github/webhook', secret: 's'.repeat(32) },
    }).start();
    expect(await repository().webhooks()).toEqual([
      {
        source: 'repository',
        url: 'https://chatops.example.com/v1/github/webhook',
        events: ['workflow_job', 'workflow_run'],
        active: true,
        hasSecret: true,
        contentType: 'json',
      },
    ]);
    const stranger = repository({ auth: { kind: 'token', token: 'ghs_wrong' } });
    await expect(stranger.repositoryName()).rejects.toMatchObject({ kind: 'unauthorized' });
  });

  it('reads the dispatch inputs of a workflow file as GitHub does', () => {
    expect(
      dispatchInputsOf('on:\n  workflow_dispatch:\n    inputs:\n      b: {}\n      a: {}\n'),
    ).toEqual(['a', 'b']);
    expect(dispatchInputsOf('on: workflow_dispatch\n')).toEqual([]);
    expect(dispatchInputsOf('on: [push, workflow_dispatch]\n')).toEqual([]);
    expect(dispatchInputsOf('on:\n  workflow_dispatch:\n')).toEqual([]);
    expect(dispatchInputsOf('on: push\n')).toBeNull();
    expect(dispatchInputsOf(': : :')).toBeNull();
  });

  it('reports an unreachable GitHub', async () => {
    const repo = repository({ baseUrl: 'http://127.0.0.1:9', retries: 0 });
    await expect(repo.getRun('1')).rejects.toMatchObject({ kind: 'unreachable' });
  });
});
