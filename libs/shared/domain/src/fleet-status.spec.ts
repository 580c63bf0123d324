import { unreachableFleet } from './fleet-status';

describe('unreachableFleet', () => {
  const where = { project: 'chatops', environment: 'prod' };
  const host = (id: string, state: string, ssmPing: string) => ({ id, state, ssmPing });

  it('lets a redeploy go when one running host answers SSM', () => {
    expect(
      unreachableFleet(
        [host('i-1', 'running', 'ConnectionLost'), host('i-2', 'running', 'Online')],
        where,
      ),
    ).toBeNull();
  });

  it('refuses when no host runs, naming the tags it looked for', () => {
    expect(unreachableFleet([host('i-1', 'stopped', 'Online')], where)).toMatchObject({
      reason: 'conflict',
      message: 'no running host in prod (tags Project=chatops, Environment=prod, Role=docker-host)',
    });
  });

  it('refuses, for now, when no running host answers SSM, naming each', () => {
    expect(
      unreachableFleet(
        [host('i-1', 'running', 'ConnectionLost'), host('i-2', 'stopped', 'Online')],
        where,
      ),
    ).toMatchObject({
      reason: 'unavailable',
      message: "none of prod's hosts is reachable by SSM (i-1: ConnectionLost)",
    });
  });
});
