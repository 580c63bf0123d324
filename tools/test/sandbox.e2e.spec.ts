import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { absorbSandboxConformance } from '@chatops/sim-kit';
import { startNode, waitForHttp } from '@chatops/testing';
import { useSandboxSessions } from './fixtures/sandbox-session';

const ROOT = resolve(__dirname, '../..');

const { ports, consoleSession } = useSandboxSessions();

describe('npm start with no credentials', () => {
  it('starts the API, the Discord simulator and the bot connected to it, and stops cleanly', async () => {
    const env: Record<string, string> = await ports();
    const launcher = startNode(join(ROOT, 'tools/sandbox/start.mjs'), env, {
      cwd: ROOT,
      args: ['--no-build', '--no-console'],
    });
    try {
      await waitForHttp(`http://127.0.0.1:${env['API_PORT']}/health/ready`, {
        process: launcher,
        timeoutMs: 60_000,
      });
      const health = await waitForHttp(`http://127.0.0.1:${env['BOT_PORT']}/health`, {
        process: launcher,
        timeoutMs: 60_000,
      });
      expect(await health.json()).toMatchObject({ status: 'ok', gateway: { status: 'ready' } });
      const state = await (await fetch(`http://127.0.0.1:${env['SIM_PORT']}/_sim/state`)).json();
      expect(state).toMatchObject({
        botConnected: true,
        commands: expect.arrayContaining([expect.objectContaining({ name: 'ping' })]),
      });
      for (let i = 0; i < 100 && !launcher.output().includes('Ctrl-C stops everything'); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(launcher.output()).toContain('Discord  simulated at');
    } finally {
      const { code } = await launcher.stop('SIGTERM');
      expect(code).toBe(0);
    }
    await expect(fetch(`http://127.0.0.1:${env['API_PORT']}/health/live`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${env['BOT_PORT']}/health/live`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${env['SIM_PORT']}/_sim/state`)).rejects.toThrow();
  }, 150_000);
});

describe('the sandbox console', () => {
  it('takes slash commands, user switches and button labels from stdin, and quits cleanly', async () => {
    const session = await consoleSession('console');
    try {
      await session.started();
      session.type('/ping');
      await session.waitFor('ChatOps (only you) › 🏓 Pong!');
      session.type('as user2 deployer approver');
      await session.waitFor('You are user2 (roles: deployer, approver).');
      session.type('/help');
      await session.waitFor('**/help**: What this bot can do');
      session.type('/launch now');
      await session.waitFor('✖ cannot read "now": options are name:value');
      session.type('/launch');
      await session.waitFor(
        '✖ Unknown command /launch. Registered commands: /alerts, /alerts-requeue, /ami, /audit, /deploy, /deploy-cancel, /dora, /help, /infra, /lock, /ping, /promote, /redeploy, /rollback, /runs, /silences, /status, /unlock',
      );
      session.type('Approve');
      await session.waitFor('No message you can see offers [Approve]');
      expect(await session.quit()).toBe(0);
    } finally {
      await session.close();
    }
  }, 120_000);

  it('shows the bot’s suggestions, fills a form by its fields, and presses a button on an earlier message', async () => {
    const session = await consoleSession('console-reach');
    try {
      await session.started();

      // Autocomplete: the bot's choices for ref, as the picker would list them.
      session.type('/deploy service:api env:staging ref:?');
      await session.waitFor('ChatOps (only you) suggests:\n  1. main\n  2. develop');
      await session.waitFor('4. v1.4.0 (tag)  → v1.4.0');

      // A form: its title and fields, then answered by field name.
      session.type('as sre1 sre');
      session.type('/infra action:destroy env:staging');
      await session.waitFor('ChatOps (only you) opened a form:\n┌ Form: Destroy staging?');
      await session.waitFor(
        '│ confirmation: Type the environment name to confirm (required, at most 100 characters)',
      );
      session.type('form reason:none');
      await session.waitFor('✖ the form has no field reason (fields: confirmation)');
      session.type('form confirmation:staging');
      await session.waitFor(
        /#(\d+) ChatOps in #ops › 🕓 \*\*Awaiting approval\*\*: terraform destroy → staging/,
      );
      const request = /#(\d+) ChatOps in #ops › 🕓/.exec(session.since())?.[1];

      // Newer messages follow; the request's buttons are still reachable by its number.
      session.type('/ping');
      await session.waitFor('🏓 Pong!');
      session.type('as sre2 sre');
      session.type('#99 Approve');
      await session.waitFor('There is no message #99 you can see');
      session.type(`#${request} Approve`);
      // The reply and the edit arrive in either order.
      await session.waitFor(
        `#${request} ChatOps in #ops (updated) › 🕓 **Awaiting approval**: terraform destroy → staging, requested by sre1. 1 of 2 approvals; 1 more needed.`,
        { advance: false },
      );
      await session.waitFor('│ Approved by: sre2', { advance: false });
      await session.waitFor('ChatOps (only you) › ✅ Approved: 1 more approval needed.', {
        advance: false,
      });
      session.type('messages 2');
      await session.waitFor(/#\d+ in #ops .*› /);
      expect(await session.quit()).toBe(0);
    } finally {
      await session.close();
    }
  }, 90_000);
});

describe('npm run chat', () => {
  function chat(args: string[], env: Record<string, string>) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = execFile(
        process.execPath,
        [join(ROOT, 'tools/sandbox/start.mjs'), '--chat', '--no-build', ...args],
        { cwd: ROOT, env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env } },
        (_error, stdout, stderr) => done({ code: child.exitCode, stdout, stderr }),
      );
    });
  }

  it('starts a sandbox when none runs, prints the /help conversation and exits 0', async () => {
    const result = await chat(['/help'], await ports());
    expect(result.stderr).toContain('no sandbox running: starting one');
    expect(result.stdout).toContain('user1 (developer) › /help');
    expect(result.stdout).toContain('ChatOps (only you) › ┌ ChatOps commands');
    expect(result.stdout).toContain('**/ping**: Gateway heartbeat and API round-trip latency');
    expect(result.code).toBe(0);
  }, 90_000);

  it('exits 2 with the registered commands for a command the bot does not have', async () => {
    const result = await chat(['/launch', 'rocket:now'], await ports());
    expect(result.stderr).toContain(
      '✖ Unknown command /launch. Registered commands: /alerts, /alerts-requeue, /ami, /audit, /deploy, /deploy-cancel, /dora, /help, /infra, /lock, /ping, /promote, /redeploy, /rollback, /runs, /silences, /status, /unlock',
    );
    expect(result.code).toBe(2);
  }, 90_000);

  it('acts as the user and roles given, and exits 2 on a malformed command line', async () => {
    const bad = await chat(['ping'], await ports());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/type a slash command/);
    const result = await chat(
      ['/ping', '--as', 'user2', '--roles', 'deployer,approver'],
      await ports(),
    );
    expect(result.stdout).toContain('user2 (deployer, approver) › /ping');
    expect(result.stdout).toMatch(/ChatOps \(only you\) › 🏓 Pong!/);
    expect(result.code).toBe(0);
  }, 90_000);
});

describe('deploying from the sandbox with npm run chat', () => {
  let env: Record<string, string>;
  let sandbox: ReturnType<typeof startNode>;

  beforeAll(async () => {
    env = await ports('deploy');
    sandbox = startNode(join(ROOT, 'tools/sandbox/start.mjs'), env, {
      cwd: ROOT,
      args: ['--no-build', '--no-console'],
    });
    await waitForHttp(`http://127.0.0.1:${env['BOT_PORT']}/health`, {
      process: sandbox,
      timeoutMs: 60_000,
    });
  }, 90_000);

  afterAll(async () => {
    await sandbox?.stop('SIGTERM');
  });

  function chat(args: string[]) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = execFile(
        process.execPath,
        [join(ROOT, 'tools/sandbox/start.mjs'), '--chat', '--no-build', ...args],
        { cwd: ROOT, env: { PATH: process.env['PATH'], HOME: process.env['HOME'] } },
        (_error, stdout, stderr) => done({ code: child.exitCode, stdout, stderr }),
      );
    });
  }

  it('deploys api to staging and ends with a success message naming the run', async () => {
    const result = await chat(['/deploy service:api env:staging ref:main']);
    // The first request of a cold sandbox may take long enough for the bot to defer its answer
    // ("thinking…", then edited): either way the requester reads the same answer.
    expect(result.stdout).toMatch(
      /ChatOps \(only you\)( \(edited\))? › 🚀 Dispatched deploy api@main → staging as run \[#(\d+)\]/,
    );
    const lines = result.stdout.trim().split('\n');
    const last = lines.findLast((l) => /^#\d+ ChatOps in #ops \(updated\)/.test(l));
    expect(last).toMatch(
      /^#\d+ ChatOps in #ops \(updated\) › ✅ Succeeded: deploy api@main → staging in \d+s · run \[#\d+\]\(https:\/\/github.com\/acme\/chatops\/actions\/runs\/\d+\)$/,
    );
    // The requester is told by a reply that mentions them (an edit notifies nobody).
    expect(lines.findLast((l) => /^#\d+ ChatOps in #ops › /.test(l))).toMatch(
      /^#\d+ ChatOps in #ops › <@\d{17,20}> ✅ Succeeded: deploy api@main → staging/,
    );
    expect(result.stdout).toMatch(
      /#\d+ ChatOps in thread "deploy api@main → staging · run \d+" › ✅ \*\*rollout\*\* success/,
    );
    expect(result.code).toBe(0);
  }, 90_000);

  it('gates prod: awaiting approval for the requester, refused to self-approve, done once another approver approves', async () => {
    const request = await chat([
      '/deploy service:api env:prod ref:main',
      '--roles',
      'deployer,approver',
    ]);
    expect(request.stdout).toContain(
      'ChatOps (only you) › 🕓 Awaiting approval: deploy api@main → prod needs an approver other than you.',
    );
    expect(request.stdout).toContain('[Approve] [Reject]');
    // What the approvers decide on: the commit, what runs there now and the change between.
    expect(request.stdout).toMatch(
      /│ Commit: \[`[0-9a-f]{7}`\]\(https:\/\/github\.com\/acme\/chatops\/commit\/[0-9a-f]{40}\) by \w+: /,
    );
    expect(request.stdout).toMatch(/│ Running now: /);
    expect(request.stdout).toMatch(/│ Change: \d+ commits? ahead of what runs · \[compare\]/);
    // The environment's approvers are pinged on the request (the sandbox's catalog names them).
    expect(request.stdout).toMatch(
      /› 🕓 \*\*Awaiting approval\*\*: deploy api@main → prod[^\n]*<@&\d+>\n( {4}[^\n]*\n)* {4}🔔 pinged @approver\n/,
    );
    expect(request.code).toBe(0);

    const self = await chat(['--press', 'Approve', '--roles', 'deployer,approver']);
    expect(self.stdout).toContain(
      'ChatOps (only you) › ⛔ you cannot approve your own request: another approver has to',
    );
    expect(self.code).toBe(1);

    const noRole = await chat(['--press', 'Approve', '--as', 'user3', '--roles', 'deployer']);
    expect(noRole.stdout).toContain('⛔ you need the `approve` permission on `prod`');
    expect(noRole.code).toBe(1);

    const approved = await chat(['--press', 'Approve', '--as', 'user2', '--roles', 'approver']);
    expect(approved.stdout).toMatch(
      /ChatOps \(only you\) › ✅ Approved: dispatched as run \[#\d+\]/,
    );
    // The wait for the approver is told apart from the run.
    expect(approved.stdout).toMatch(
      /✅ Succeeded: deploy api@main → prod · waited (\d+m )?\d+s for approval · ran \d+s · run \[#\d+\]/,
    );
    expect(approved.stdout).toContain('Approved by: user2');
    // The requester is told by a reply that pings them, and nobody else.
    expect(approved.stdout).toMatch(
      /› <@\d+> ✅ Succeeded: deploy api@main → prod[^\n]*\n {4}🔔 pinged @user1\n/,
    );
    expect(approved.code).toBe(0);
    // One approval: the GitHub environment prod (protected on the stand-in) was approved with
    // the reviewer's token in user2's name; nobody approved anything on GitHub.
    const audit = await chat(['/audit count:10', '--roles', 'sre']);
    expect(audit.stdout).toMatch(/\*\*user2\*\* deploy\.github\\-approval api → prod · succeeded/);
  }, 120_000);

  it('asks the sandbox’s Alertmanager for alerts and silences', async () => {
    const alerts = await chat(['/alerts env:staging']);
    expect(alerts.stdout).toContain('✅ No alerts firing on staging.');
    expect(alerts.code).toBe(0);
    const silences = await chat(['/silences']);
    expect(silences.stdout).toContain('🔔 No active silences.');
  }, 90_000);

  it('refuses a hostile ref with the reason, and lists the runs so far', async () => {
    const hostile = await chat(['/deploy service:bot env:staging ref:$(id)']);
    expect(hostile.stdout).toContain(
      'ChatOps (only you) › ⚠️ invalid ref: the ref contains "$"; only ASCII letters, digits and . _ / - are allowed',
    );
    expect(hostile.code).toBe(1);
    // Values outside an option's choices or range never leave Discord's client (the stand-in
    // refuses them as it does); the bot's own refusal of them, should a client send them anyway,
    // is tested through its dispatcher (hostile-options.e2e.spec.ts).
    const nuke = await chat(['/infra action:nuke env:staging', '--roles', 'sre']);
    expect(nuke.stderr).toContain('/infra action: must be one of plan, apply, destroy');
    expect(nuke.code).toBe(2);
    const count = await chat(['/audit count:1000']);
    expect(count.stderr).toContain('/audit count: must be at most 25');
    expect(count.code).toBe(2);
    const unknown = await chat(['/runs service:nope']);
    expect(unknown.stdout).toContain('⚠️ unknown service `nope` (services: api, bot)');
    expect(unknown.code).toBe(1);
    const runs = await chat(['/runs']);
    expect(runs.stdout).toMatch(/Recent runs \(2\)/);
    expect(runs.code).toBe(0);
  }, 90_000);

  it('shows the fleet, restarts api, and after two redeploys rolls back to the first', async () => {
    const status = await chat(['/status env:staging']);
    expect(status.stdout).toContain(
      'ChatOps › ✅ Fleet status: every host runs its desired versions',
    );
    expect(status.stdout).toMatch(
      /Hosts \(2\): `i-0[0-9a-f]{16}` running · eu-west-1a · ami-\w+ · up 3d 0h · SSM online · LB healthy/,
    );
    expect(status.code).toBe(0);

    const restart = await chat(['/redeploy service:api env:staging']);
    // The deploy above rolled main's commit out: a restart keeps that version.
    expect(restart.stdout).toMatch(
      /🚀 Sent redeploy api@[0-9a-f]{12} → staging to the hosts as command \[[0-9a-f]{8}\]/,
    );
    expect(restart.stdout).toMatch(
      /ChatOps in #ops \(updated\) › ✅ Succeeded: redeploy api@[0-9a-f]{12} → staging in \d+s/,
    );
    expect(restart.code).toBe(0);

    for (const version of ['v2.0.0', 'v2.1.0']) {
      const redeploy = await chat([`/redeploy service:api env:staging version:${version}`]);
      expect(redeploy.stdout).toContain(`✅ Succeeded: redeploy api@${version} → staging`);
      expect(redeploy.code).toBe(0);
    }

    const rollback = await chat(['/rollback service:api env:staging', '--press', 'Roll back']);
    // Both versions, who deployed each and when.
    expect(rollback.stdout).toMatch(
      /ChatOps \(only you\) › ↩️ Roll back \*\*api\*\* on \*\*staging\*\* from `v2\.1\.0` \(deployed by user1 <t:\d+:R>\) to `v2\.0\.0` \(deployed by user1 <t:\d+:R>\)\?/,
    );
    expect(rollback.stdout).toContain('user1 › [Roll back]');
    expect(rollback.stdout).toContain('✅ Succeeded: rollback api@v2.0.0 → staging');
    expect(rollback.code).toBe(0);
    // The answer replaced the confirmation, its buttons disabled: Keep cannot be pressed now.
    const confirmation = /#(\d+) ChatOps \(only you\) › ↩️ Roll back/.exec(rollback.stdout)?.[1];
    expect(confirmation).toBeDefined();
    expect(rollback.stdout).toMatch(
      new RegExp(
        `#${confirmation} ChatOps \\(only you\\) \\(updated\\) › 🚀 Sent rollback api@v2\\.0\\.0 → staging[^\\n]*\\n +\\[Roll back\\] \\(disabled\\) \\[Keep\\] \\(disabled\\)`,
      ),
    );
    const late = await chat(['--press', 'Keep', '--message', String(confirmation)]);
    expect(late.stderr).toContain('✖ [Keep] is disabled');
    expect(late.code).toBe(2);

    const after = await chat(['/status env:staging']);
    expect(after.stdout).toMatch(
      /desired `v2\.0\.0` \(Parameter Store version \d+, <t:\d+:R>\) \/ · `i-0\w+`: `v2\.0\.0` healthy \/ · `i-0\w+`: `v2\.0\.0` healthy/,
    );
  }, 180_000);

  it('reports one of two hosts failing, per host, with its output; that host rolled back', async () => {
    const knob = await fetch(`http://127.0.0.1:${env['AWS_SIM_PORT']}/_sim/aws/fail-next`, {
      method: 'POST',
      body: '{}',
    });
    expect(knob.status).toBe(200);
    const failed = await chat(['/redeploy service:api env:staging version:v3.0.0']);
    expect(failed.stdout).toMatch(
      /❌ Failed: redeploy api@v3\.0\.0 → staging: 1 of 2 hosts failed: i-0[0-9a-f]{16} \(Failed\)/,
    );
    expect(failed.stdout).toMatch(/✅ \*\*i-0\w+\*\*: Success \(\d+s\)/);
    expect(failed.stdout).toMatch(/❌ \*\*i-0\w+\*\*: Failed \(\d+s\)/);
    expect(failed.stdout).toContain('was unhealthy; rolled back to v2.0.0');
    expect(failed.code).toBe(1);

    const status = await chat(['/status env:staging']);
    expect(status.stdout).toContain('ChatOps › ⚠️ Fleet status: attention needed in staging');
    // The desired version went back to v2.0.0: the host that took v3.0.0 is the one that differs.
    expect(failed.stdout).toContain('the desired version was set back from v3.0.0 to v2.0.0');
    expect(status.stdout).toMatch(/api: desired `v2\.0\.0`/);
    expect(status.stdout).toMatch(/⚠️ `i-0\w+`: `v3\.0\.0` healthy/);
    expect(status.stdout).toMatch(/· `i-0\w+`: `v2\.0\.0` rolled back/);
    // Behind the load balancer, the host that failed was left out of service.
    expect(failed.stdout).toMatch(
      /i-0\w+ is left out of service \(standby in chatops-staging-app\)/,
    );
    expect(status.stdout).toMatch(
      /`i-0\w+` running · eu-west-1b · ami-\w+ · up 3d 0h · SSM online · ⚠️ out of service \(Standby, target unused\)/,
    );
    expect(failed.stdout).toMatch(/now running v3\.0\.0 on i-0\w+; v2\.0\.0 on i-0\w+/);

    // Roll back the rest: the host that took v3.0.0 returns to v2.0.0.
    const message = /#(\d+) ChatOps in #ops[^\n]*› ❌ Failed: redeploy api@v3\.0\.0/.exec(
      failed.stdout,
    )?.[1];
    expect(message).toBeDefined();
    expect(failed.stdout).toContain('[Retry] [Roll back the rest]');
    const restored = await chat(['--press', 'Roll back the rest', '--message', String(message)]);
    expect(restored.stdout).toContain('✅ Succeeded: redeploy api@v2.0.0 → staging');
    expect(restored.code).toBe(0);
    const converged = await chat(['/status env:staging']);
    expect(converged.stdout).toMatch(
      /desired `v2\.0\.0` \(Parameter Store version \d+, <t:\d+:R>\) \/ · `i-0\w+`: `v2\.0\.0` healthy \/ · `i-0\w+`: `v2\.0\.0` healthy/,
    );

    // Retry: the same redeploy again, now that the host is healthy.
    const retried = await chat(['--press', 'Retry', '--message', String(message)]);
    expect(retried.stdout).toContain('✅ Succeeded: redeploy api@v3.0.0 → staging');
    expect(retried.code).toBe(0);
    const upgraded = await chat(['/status env:staging']);
    expect(upgraded.stdout).toMatch(
      /desired `v3\.0\.0` \(Parameter Store version \d+, <t:\d+:R>\) \/ · `i-0\w+`: `v3\.0\.0` healthy \/ · `i-0\w+`: `v3\.0\.0` healthy/,
    );
  }, 150_000);

  it('shows suggestions for name:?, fills a form with --form, and presses a button on a numbered message', async () => {
    const suggested = await chat(['/deploy service:api env:staging ref:?']);
    expect(suggested.stdout).toContain('ChatOps (only you) suggests:\n  1. main\n  2. develop');
    expect(suggested.code).toBe(0);

    const destroy = await chat([
      '/infra action:destroy env:staging',
      '--as',
      'sre1',
      '--roles',
      'sre',
      '--form',
      'confirmation:staging',
    ]);
    expect(destroy.stdout).toContain('opened a form:\n┌ Form: Destroy staging?');
    expect(destroy.stdout).toContain('sre1 › (form) confirmation:staging');
    const request = /#(\d+) ChatOps in #ops › 🕓 \*\*Awaiting approval\*\*: terraform destroy/.exec(
      destroy.stdout,
    )?.[1];
    expect(request).toBeDefined();
    expect(destroy.code).toBe(0);

    // Newer messages come after it; the request is still reachable by its number.
    await chat(['/ping']);
    // sre1's own (ephemeral) answer is not sre2's to see, let alone press.
    const ephemeral = /#(\d+) ChatOps \(only you\) › 🕓 Awaiting approval/.exec(
      destroy.stdout,
    )?.[1];
    expect(ephemeral).toBeDefined();
    const hidden = await chat([
      '--press',
      'Reject',
      '--message',
      String(ephemeral),
      '--as',
      'sre2',
    ]);
    expect(hidden.stderr).toContain(`✖ there is no message #${ephemeral} that sre2 can see`);
    expect(hidden.code).toBe(2);
    const rejected = await chat([
      '--press',
      'Reject',
      '--message',
      String(request),
      '--as',
      'sre2',
      '--roles',
      'sre',
    ]);
    expect(rejected.stdout).toContain(
      `#${request} ChatOps in #ops (updated) › 🚫 Rejected: terraform destroy → staging (rejected by sre2)`,
    );
    const again = await chat([
      '--press',
      'Reject',
      '--message',
      String(request),
      '--as',
      'sre2',
      '--roles',
      'sre',
    ]);
    expect(again.stderr).toContain(`✖ message #${request} offers no [Reject]`);
    expect(again.code).toBe(2);
  }, 90_000);

  it('refuses a hostile version with the reason before anything runs', async () => {
    const hostile = await chat(['/redeploy service:api env:staging version:$(reboot)']);
    expect(hostile.stdout).toContain(
      'ChatOps (only you) › ⚠️ invalid version: the version must be an image tag (letters, digits, _ . -, not starting with . or -) or a sha256: digest',
    );
    expect(hostile.code).toBe(1);
  }, 60_000);

  it('refuses a redeploy of a version ECR does not hold before any host is told', async () => {
    const missing = await chat(['/redeploy service:api env:staging version:v9.9.9']);
    expect(missing.stdout).toContain(
      'ECR has no image `v9.9.9` of api (repository chatops-api): nothing for the hosts to pull.',
    );
    expect(missing.code).toBe(1);
  }, 60_000);

  it('plans in chat, applies exactly the reviewed plan, and refuses it once an apply made it stale', async () => {
    const plan = await chat(['/infra action:plan env:staging', '--roles', 'sre']);
    expect(plan.stdout).toMatch(
      /✅ Succeeded: terraform plan → staging · Plan: \d+ to add, \d+ to change, \d+ to destroy/,
    );
    expect(plan.stdout).toMatch(
      /│ Plan: \*\*Plan: [^\n]* \/ ``` \/ (create|update|delete)[^\n]*module\./,
    );
    expect(plan.code).toBe(0);
    const apply = await chat(['/infra action:apply env:staging', '--roles', 'sre']);
    expect(apply.stdout).toMatch(
      /│ Applies the plan: \*\*Plan: \d+ to add, \d+ to change, \d+ to destroy\*\* \/ Planned by user1 <t:\d+:R> in run \[#\d+\]/,
    );
    expect(apply.stdout).toContain('✅ Succeeded: terraform apply → staging');
    const stale = await chat(['/infra action:apply env:staging', '--roles', 'sre']);
    expect(stale.stdout).toMatch(
      /⚠️ the plan of staging from <t:\d+:R> is stale: user1's terraform apply <t:\d+:R> changed the state since; run `\/infra plan staging` again/,
    );
    expect(stale.code).toBe(1);
  }, 150_000);

  it('names the AMI an AMI build made', async () => {
    const ami = await chat(['/ami action:build', '--roles', 'sre']);
    expect(ami.stdout).toMatch(/✅ Succeeded: AMI build @ main · built `ami-[0-9a-f]{17}`/);
    expect(ami.code).toBe(0);
  }, 90_000);

  it("shows a failed step's log, masked, and Retry deploys the very commit it was to build", async () => {
    const knob = await fetch(`http://127.0.0.1:${env['GITHUB_SIM_PORT']}/_sim/github/fail-next`, {
      method: 'POST',
      body: JSON.stringify({ job: 'build', step: 'Build image' }),
    });
    expect(knob.status).toBe(200);
    const failed = await chat(['/deploy service:api env:staging ref:develop']);
    expect(failed.stdout).toMatch(
      /❌ Failed: deploy api@develop → staging at step "Build image" \(job build\)/,
    );
    // The end of the failed step's log in the run's thread, GitHub's masking kept.
    expect(failed.stdout).toContain('    Using token *** for the registry\n');
    expect(failed.stdout).toContain('    ##[error]Build image failed: exit code 1\n');
    const sha = /│ Commit: \[`([0-9a-f]{7})`\]/.exec(failed.stdout)?.[1];
    const message = /#(\d+) ChatOps in #ops[^\n]*› ❌ Failed: deploy api@develop/.exec(
      failed.stdout,
    )?.[1];
    expect(sha).toBeDefined();
    expect(failed.stdout).toContain('[Retry] [View run]');
    expect(failed.code).toBe(1);

    const retried = await chat(['--press', 'Retry', '--message', String(message)]);
    expect(retried.stdout).toContain(`✅ Succeeded: deploy api@${sha} → staging`);
    expect(retried.code).toBe(0);
  }, 150_000);

  it('promotes to prod exactly the image that runs on staging, under prod’s approval', async () => {
    const staging = await chat(['/status env:staging']);
    const version = /api: desired `([0-9a-f]{12})`/.exec(staging.stdout)?.[1];
    expect(version).toBeDefined();
    const request = await chat([
      '/promote service:api from:staging to:prod',
      '--roles',
      'deployer',
    ]);
    expect(request.stdout).toContain(
      `🕓 Awaiting approval: promote api@${version} staging → prod needs an approver other than you.`,
    );
    expect(request.stdout).toMatch(/│ Image: `sha256:[0-9a-f]{12}`/);
    expect(request.stdout).toMatch(/│ Change: \d+ commits? ahead of what runs · \[compare\]/);
    expect(request.stdout).toContain('    🔔 pinged @approver\n');
    const approved = await chat(['--press', 'Approve', '--as', 'user2', '--roles', 'approver']);
    expect(approved.stdout).toContain(`✅ Succeeded: promote api@${version} staging → prod`);
    expect(approved.code).toBe(0);
    const prod = await chat(['/status env:prod']);
    expect(prod.stdout).toMatch(
      new RegExp(
        `api: desired \`${version}\` \\(Parameter Store version \\d+, <t:\\d+:R>\\) \\/ · \`i-0\\w+\`: \`${version}\` healthy \\/ · \`i-0\\w+\`: \`${version}\` healthy`,
      ),
    );
  }, 150_000);

  it('passes npm run doctor against its own setup', async () => {
    const checked = await new Promise<{ code: number | null; stdout: string }>((done) => {
      const child = execFile(
        process.execPath,
        [
          join(ROOT, 'dist/apps/api/doctor.js'),
          '--dotenv',
          join(env['SANDBOX_DATA_DIR'] as string, 'api.env'),
        ],
        { cwd: ROOT, env: { PATH: process.env['PATH'], HOME: process.env['HOME'] } },
        (_error, stdout) => done({ code: child.exitCode, stdout }),
      );
    });
    expect(checked.stdout).not.toContain('✖');
    expect(checked.stdout).toContain('✔ discord: catalog role `approver`: present in the server');
    expect(checked.stdout).toMatch(
      /✔ github: webhook http:\/\/127\.0\.0\.1:\d+\/v1\/github\/webhook: active, signed/,
    );
    expect(checked.stdout).toContain('✔ aws: SSM document chatops-redeploy: present');
    expect(checked.stdout).toMatch(/\nAll \d+ checks passed\.\n$/);
    expect(checked.code).toBe(0);
  }, 60_000);

  // Last: everything the tests above made the sandbox's stand-ins exchange.
  it('exchanged only bodies that conform to the published API descriptions', async () => {
    const report = await absorbSandboxConformance(`http://127.0.0.1:${env['SIM_PORT']}`);
    expect(report.summary.discord?.checked).toBeGreaterThan(50);
    expect(report.summary.github?.checked).toBeGreaterThan(20);
    expect(report.summary['github-webhooks']?.checked).toBeGreaterThan(10);
    expect(report.unexpected).toEqual([]);
  });
});
