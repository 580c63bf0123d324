import type { EnvironmentStatus, FleetStatus } from '@chatops/domain';
import { embedLength } from './deployment-message';
import { renderFleetStatus } from './fleet-status-message';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const host = (id: string, ping = 'Online') => ({
  id,
  state: 'running',
  availabilityZone: 'eu-west-1a',
  amiId: 'ami-0c0ffee',
  launchedAt: '2026-11-18T10:00:00Z',
  ssmPing: ping,
});
const staging: EnvironmentStatus = {
  name: 'staging',
  error: null,
  hosts: [host('i-0a'), host('i-0b')],
  services: [
    {
      name: 'api',
      desired: { value: 'v2', version: 2, modifiedAt: '2026-11-21T11:00:00Z' },
      running: [
        { instanceId: 'i-0a', version: 'v2', health: 'healthy' },
        { instanceId: 'i-0b', version: 'v1', health: 'rolled back' },
      ],
      lastDeploy: { kind: 'redeploy', ref: 'v2', status: 'failed', requestedBy: 'alice', at: NOW },
    },
  ],
};

describe('renderFleetStatus', () => {
  it('shows the locks people placed, with who, since when, why and until when, as typed', () => {
    const locked = {
      ...staging,
      locks: [
        {
          service: 'api',
          holder: 'alice',
          reason: 'investigating **x**',
          acquiredAt: NOW,
          expiresAt: null,
        },
        { service: '*', holder: 'bob', reason: 'freeze', acquiredAt: NOW, expiresAt: NOW + 60_000 },
      ],
    };
    const [embed] = renderFleetStatus({ environments: [locked], at: NOW }).embeds ?? [];
    expect(embed?.description?.split('\n')).toEqual([
      `🔒 api locked by alice since <t:${NOW / 1000}:R>: investigating \\*\\*x\\*\\*`,
      `🔒 all of staging locked by bob since <t:${NOW / 1000}:R>: freeze (until <t:${(NOW + 60_000) / 1000}:t>)`,
    ]);
  });

  it('shows the change freeze in force before the locks', () => {
    const frozen = {
      ...staging,
      freeze: 'change freeze "weekend" (weekly fri 16:00 → mon 09:00 (Europe/Berlin))',
      locks: [{ service: 'api', holder: 'alice', reason: 'db', acquiredAt: NOW, expiresAt: null }],
    };
    const [embed] = renderFleetStatus({ environments: [frozen], at: NOW }).embeds ?? [];
    expect(embed?.description?.split('\n')).toEqual([
      '❄️ change freeze "weekend" (weekly fri 16:00 → mon 09:00 (Europe/Berlin)): a new version needs an approver',
      `🔒 api locked by alice since <t:${NOW / 1000}:R>: db`,
    ]);
  });

  it('names who cancelled the last deploy, beside who asked for it, as typed', () => {
    const service = staging.services[0]!;
    const cancelled = {
      ...staging,
      services: [
        {
          ...service,
          lastDeploy: {
            kind: 'deploy' as const,
            ref: 'main',
            status: 'cancelled' as const,
            requestedBy: 'alice',
            cancelledBy: 'bob_*',
            at: NOW,
          },
        },
      ],
    };
    const message = renderFleetStatus({ environments: [cancelled], at: NOW });
    const text = (message.embeds ?? [])
      .flatMap((e) => [e.description ?? '', ...(e.fields ?? []).map((f) => f.value)])
      .join('\n');
    expect(text).toContain(
      'last: deploy `main` cancelled by bob\\_\\* (requested by alice) <t:' + NOW / 1000 + ':R>',
    );
  });

  it('shows hosts, desired against running per host, and marks the drift', () => {
    const message = renderFleetStatus({ environments: [staging], at: NOW });
    expect(message.content).toBe('⚠️ Fleet status: attention needed in staging');
    const embed = message.embeds[0];
    expect(embed?.title).toBe('staging');
    expect(embed?.fields?.[0]).toEqual({
      name: 'Hosts (2)',
      value:
        '`i-0a` running · eu-west-1a · ami-0c0ffee · up 3d 2h · SSM online\n' +
        '`i-0b` running · eu-west-1a · ami-0c0ffee · up 3d 2h · SSM online',
    });
    expect(embed?.fields?.[1]).toEqual({
      name: '⚠️ api',
      value:
        `desired \`v2\` (Parameter Store version 2, <t:${Date.parse('2026-11-21T11:00:00Z') / 1000}:R>)\n` +
        '· `i-0a`: `v2` healthy\n' +
        '⚠️ `i-0b`: `v1` rolled back\n' +
        `last: redeploy \`v2\` failed by alice <t:${NOW / 1000}:R>`,
    });
  });

  it('shows each host behind the load balancer: in rotation, out of service, failing there, or unreadable', () => {
    const lb = (lifecycle: string | null, targetHealth: string | null, error?: string) => ({
      group: lifecycle ? 'chatops-prod-app' : null,
      lifecycle,
      targetHealth,
      ...(error ? { error } : {}),
    });
    const behind: EnvironmentStatus = {
      ...staging,
      services: [],
      hosts: [
        { ...host('i-0a'), loadBalancer: lb('InService', 'healthy') },
        { ...host('i-0b'), loadBalancer: lb('Standby', 'unused') },
        { ...host('i-0c'), loadBalancer: lb('InService', 'unhealthy') },
        { ...host('i-0d'), loadBalancer: lb('InService', null) },
        { ...host('i-0e'), loadBalancer: null },
        { ...host('i-0f'), loadBalancer: lb(null, null, 'AWS denied the platform’s role **x**') },
      ],
    };
    const message = renderFleetStatus({ environments: [behind], at: NOW });
    expect(
      message.embeds[0]?.fields?.[0]?.value.split('\n').map((l) => l.split(' · SSM online')[1]),
    ).toEqual([
      ' · LB healthy',
      ' · ⚠️ out of service (Standby, target unused)',
      ' · ⚠️ LB unhealthy (InService)',
      '',
      '',
      ' · ⚠️ load balancer unreadable (AWS denied the platform’s role \\*\\*x\\*\\*)',
    ]);
    expect(message.content).toBe('⚠️ Fleet status: attention needed in staging');
    expect(message.embeds[0]?.color).toBe(0xf1c40f);
    const inRotation = renderFleetStatus({
      environments: [{ ...behind, hosts: [behind.hosts[0]!, behind.hosts[3]!] }],
      at: NOW,
    });
    expect(inRotation.content).toBe('✅ Fleet status: every host runs its desired versions');
  });

  it('says all is well when every host runs its desired version, and shows an unreadable environment', () => {
    const settled: EnvironmentStatus = {
      ...staging,
      services: [
        {
          ...staging.services[0]!,
          running: [
            { instanceId: 'i-0a', version: 'v2', health: 'healthy' },
            { instanceId: 'i-0b', version: 'v2', health: 'converged at boot' },
          ],
        },
      ],
    };
    expect(renderFleetStatus({ environments: [settled], at: NOW }).content).toBe(
      '✅ Fleet status: every host runs its desired versions',
    );
    const broken = renderFleetStatus({
      environments: [
        settled,
        { name: 'prod', hosts: [], services: [], error: 'AWS is throttling us' },
      ],
      at: NOW,
    });
    expect(broken.content).toBe('⚠️ Fleet status: attention needed in prod');
    expect(broken.embeds[1]?.description).toBe('⚠️ AWS is throttling us');
  });

  it('stays within Discord limits with many environments, hosts and services', () => {
    const big: FleetStatus = {
      at: NOW,
      environments: Array.from({ length: 14 }, (_, e) => ({
        name: `env-${e}`,
        error: null,
        hosts: Array.from({ length: 40 }, (_, i) =>
          host(`i-0${String(i).padStart(16, '0')}`, 'ConnectionLost'),
        ),
        services: Array.from({ length: 30 }, (_, s) => ({
          ...staging.services[0]!,
          name: `service-${s}`,
          running: Array.from({ length: 40 }, (_, i) => ({
            instanceId: `i-0${String(i).padStart(16, '0')}`,
            version: 'v'.repeat(128),
            health: 'healthy',
          })),
        })),
      })),
    };
    const message = renderFleetStatus(big);
    expect(message.embeds).toHaveLength(10);
    expect(message.embeds.reduce((n, e) => n + embedLength(e), 0)).toBeLessThanOrEqual(6000);
    for (const embed of message.embeds) {
      expect(embed.fields?.length ?? 0).toBeLessThanOrEqual(25);
      for (const field of embed.fields ?? []) expect(field.value.length).toBeLessThanOrEqual(1024);
    }
  });
});
