import { createRepositories, openDatabase, type DatabaseHandle } from '@chatops/persistence';
import { Refusal } from '@chatops/domain';
import { AuditTrail } from './audit-trail';

describe('AuditTrail', () => {
  let handle: DatabaseHandle;
  let trail: AuditTrail;
  let repos: ReturnType<typeof createRepositories>;
  const alice = { id: '111111111111111111', name: 'alice' };

  beforeEach(async () => {
    handle = await openDatabase('sqlite::memory:');
    repos = createRepositories(handle);
    trail = new AuditTrail(repos);
  });
  afterEach(() => handle.close());

  it('records the refusals a client made, and lists them', async () => {
    const denied = await trail.recordClientRefusal({
      actor: alice,
      action: 'deploy',
      outcome: 'denied',
      environment: 'prod',
      detail: { permission: 'deploy' },
    });
    expect(denied).toMatchObject({ action: 'deploy', outcome: 'denied', environment: 'prod' });
    expect(await trail.list({ environment: 'prod' })).toEqual([denied]);
  });

  it('refuses a claimed outcome or the platform’s name, and records the attempt instead', async () => {
    const forged = trail.recordClientRefusal({
      actor: { id: 'system:reconciler', name: 'platform' },
      action: 'deploy',
      outcome: 'succeeded',
      service: 'api',
      environment: 'prod',
    });
    await expect(forged).rejects.toBeInstanceOf(Refusal);
    await expect(forged).rejects.toMatchObject({
      reason: 'invalid',
      problems: [
        'outcome: a client records only what it refused (rejected or denied), not succeeded',
        'actor.id: a client cannot record in the platform’s name',
      ],
    });
    const [recorded, ...rest] = await repos.audit.list({});
    expect(rest).toEqual([]);
    expect(recorded).toMatchObject({
      action: 'audit',
      outcome: 'rejected',
      detail: { claimed: { action: 'deploy', outcome: 'succeeded' } },
    });
  });
});
