import { useSandboxSessions } from './fixtures/sandbox-session';

const { consoleSession } = useSandboxSessions();
/** Every environment bakes for a minute: staging rolls back by itself, prod pings. */
const BAKING = { SANDBOX_BAKE_MINUTES: '1' };

/**
 * Guarded deploys end to end: the sandbox (real API, bot, simulator, stand-ins) with a real
 * Prometheus scraping the console's health source and a real Alertmanager relaying its alerts.
 * With SANDBOX_BAKE_MINUTES=1 the sandbox bakes every environment for a minute.
 */
describe('guarded deploys against a real Prometheus and Alertmanager', () => {
  it('passes a healthy bake, rolls back a failing one, and shows the alert with its deploy', async () => {
    const session = await consoleSession('guarded-staging', BAKING);
    try {
      await session.waitFor(/Bakes {4}1 min after each deploy, watched through Prometheus/, {
        timeoutMs: 60_000,
      });
      await session.started();
      session.type('as user1 sre');
      session.type('/redeploy service:bot env:staging version:v2.0.0');
      await session.waitFor(/✅ Succeeded: redeploy bot@v2\.0\.0 → staging/, { timeoutMs: 60_000 });
      await session.waitFor(/🧪 Baking: watched until/, { timeoutMs: 30_000 });
      session.type('/redeploy service:api env:staging version:v2.0.0');
      await session.waitFor(/✅ Succeeded: redeploy api@v2\.0\.0 → staging/, { timeoutMs: 60_000 });
      await session.waitFor(/🧪 Baking: watched until/, { timeoutMs: 30_000 });

      // api turns unhealthy: Prometheus fires, the bake fails, the platform rolls back.
      session.type('unhealthy api staging');
      await session.waitFor(
        /⚠️ SandboxServiceUnhealthy fired \d+(m \d+)?s after the redeploy · rolled back by the platform \(to v1\.4\.0\)/,
        { advance: false, timeoutMs: 60_000 },
      );
      await session.waitFor(/Succeeded: rollback api@v1\.4\.0 → staging/, {
        advance: false,
        timeoutMs: 60_000,
      });
      // Alertmanager's notification reaches #ops with the deploy it followed.
      await session.waitFor(
        /🔥 \*\*Firing\*\*: SandboxServiceUnhealthy on staging[^\n]*\n[^\n]*🚀 Fired \d+(m \d+)?s after the redeploy: api `v1\.4\.0` → `v2\.0\.0` by user1/,
        { advance: false, timeoutMs: 60_000 },
      );
      session.type('healthy api staging');

      // bot stayed healthy through its minute.
      await session.waitFor(/✅ Healthy after 1m 0s/, { advance: false, timeoutMs: 90_000 });
      expect(await session.quit()).toBe(0);
    } finally {
      await session.close();
    }
  }, 240_000);

  it('pings the requester with the Roll back button where the environment does not roll back', async () => {
    const session = await consoleSession('guarded-prod', BAKING);
    try {
      await session.started();
      session.type('as user1 sre');
      session.type('/redeploy service:api env:prod version:v2.0.0');
      await session.waitFor(/Awaiting approval\*\*: redeploy api@v2\.0\.0 → prod/);
      session.type('as user2 approver');
      session.type('Approve');
      await session.waitFor(/✅ Succeeded: redeploy api@v2\.0\.0 → prod/, { timeoutMs: 60_000 });
      await session.waitFor(/🧪 Baking: watched until/, { timeoutMs: 30_000 });
      session.type('unhealthy api prod');
      await session.waitFor(
        /<@\d+> ⚠️ The bake of redeploy api\\?@v2\.0\.0 → prod failed: SandboxServiceUnhealthy fired \d+(m \d+)?s after the redeploy\. Roll back to `v1\.4\.0`\?/,
        { advance: false, timeoutMs: 60_000 },
      );
      await session.waitFor('[Roll back to v1.4.0]', { advance: false });
      await session.waitFor(/⚠️ SandboxServiceUnhealthy fired .* · the requester was pinged/, {
        advance: false,
        timeoutMs: 30_000,
      });
      // The button asks /rollback's confirmation: nothing moves before it is answered.
      session.type('as user1 sre');
      session.type('Roll back to v1.4.0');
      await session.waitFor(/↩️ Roll back \*\*api\*\* on \*\*prod\*\* from `v2\.0\.0`/);
      session.type('healthy api prod');
      expect(await session.quit()).toBe(0);
    } finally {
      await session.close();
    }
  }, 180_000);
});
