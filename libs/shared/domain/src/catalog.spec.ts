import { catalogSchema, CatalogInput, healthUrlFor } from './catalog';

const valid: CatalogInput = {
  project: 'chatops',
  github: { owner: 'acme', repo: 'chatops' },
  services: [
    {
      name: 'api',
      workflow: 'deploy.yml',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/chatops-api',
      healthUrl: 'https://{environment}.example.com/health/ready',
    },
  ],
  environments: [{ name: 'staging' }, { name: 'prod', requiresApproval: true }],
  roles: { Developers: { staging: ['deploy'], '*': ['view'] } },
};

function problems(input: unknown): string[] {
  const result = catalogSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('catalog schema', () => {
  it('accepts a valid catalog and fills defaults', () => {
    const catalog = catalogSchema.parse(valid);
    expect(catalog.environments[0]).toEqual({
      name: 'staging',
      requiresApproval: false,
      approvalTimeoutMinutes: 30,
      freezes: [],
      githubApproval: 'none',
      alertCorrelationMinutes: 30,
    });
    expect(healthUrlFor(catalog.services[0]!, 'prod')).toBe(
      'https://prod.example.com/health/ready',
    );
  });

  it('takes an alert correlation window of 0 to 1440 minutes, whole, and refuses others', () => {
    const withWindow = (alertCorrelationMinutes: unknown) =>
      problems({ ...valid, environments: [{ name: 'staging', alertCorrelationMinutes }] });
    expect(withWindow(0)).toEqual([]);
    expect(withWindow(1440)).toEqual([]);
    for (const bad of [-1, 1441, 2.5, '30'])
      expect(withWindow(bad)).toEqual([
        expect.stringMatching(/^environments\.0\.alertCorrelationMinutes: /),
      ]);
  });

  it('refuses an approver role that is not a role id, and an unknown GitHub approval mode', () => {
    const found = problems({
      ...valid,
      environments: [
        ...valid.environments,
        { name: 'qa', approverRole: '@everyone', githubApproval: 'trust-me' },
      ],
    });
    expect(found).toEqual([
      expect.stringMatching(/^environments\.\d\.approverRole: must be a Discord role id/),
      expect.stringMatching(/^environments\.\d\.githubApproval: /),
    ]);
  });

  it('reports every problem with its path', () => {
    const found = problems({
      ...valid,
      services: [
        { ...valid.services[0], name: 'API; rm -rf /' },
        { ...valid.services[0], workflow: 'deploy.sh' },
        { ...valid.services[0] },
      ],
      roles: { Developers: { qa: ['deploy'], staging: ['launch'] } },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^services\.0\.name: must be lowercase letters/),
        expect.stringMatching(/^services\.1\.workflow: must be a workflow file name/),
        expect.stringMatching(/^services\.2\.name: duplicate name 'api'/),
        expect.stringMatching(/^roles\.Developers\.staging\.0: Invalid option/),
      ]),
    );
  });

  it('lists every malformed change freeze with its path', () => {
    const found = problems({
      ...valid,
      environments: [
        { name: 'staging' },
        {
          name: 'prod',
          freezes: [
            {
              name: 'zone',
              timeZone: 'Mars/Olympus',
              weekly: { from: 'fri 16:00', to: 'mon 09:00' },
            },
            {
              name: 'both',
              weekly: { from: 'fri 16:00', to: 'mon 09:00' },
              dates: { from: '2026-12-20 00:00', to: '2026-12-21 00:00' },
            },
            { name: 'neither' },
            { name: 'backwards', dates: { from: '2026-12-21 00:00', to: '2026-12-20 00:00' } },
            { name: 'hour', weekly: { from: 'friday 4pm', to: 'mon 24:00' } },
            { name: '<@&123> ping', weekly: { from: 'fri 16:00', to: 'mon 09:00' } },
          ],
        },
      ],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'environments.1.freezes.0.timeZone: must be an IANA time zone such as Europe/Berlin or UTC',
        'environments.1.freezes.1: needs exactly one of weekly or dates',
        'environments.1.freezes.2: needs exactly one of weekly or dates',
        'environments.1.freezes.3.dates.to: must be after from',
        "environments.1.freezes.4.weekly.from: must be a weekday and a 24-hour time such as 'fri 16:00'",
        "environments.1.freezes.4.weekly.to: must be a weekday and a 24-hour time such as 'fri 16:00'",
        'environments.1.freezes.5.name: must be 1–40 letters, digits, spaces, dots, dashes or underscores',
      ]),
    );
    expect(found).toHaveLength(7);
  });

  it('rejects role grants for undeclared environments', () => {
    expect(problems({ ...valid, roles: { Developers: { qa: ['deploy'] } } })).toEqual([
      "roles.Developers.qa: unknown environment 'qa' (declared: staging, prod, or '*')",
    ]);
  });

  it('rejects unknown keys so typos do not pass silently', () => {
    expect(problems({ ...valid, enviroments: [] })).toEqual([
      expect.stringMatching(/Unrecognized key: "enviroments"/),
    ]);
  });

  it('rejects a health URL that is not http(s)', () => {
    expect(
      problems({ ...valid, services: [{ ...valid.services[0], healthUrl: 'file:///etc/passwd' }] }),
    ).toEqual([expect.stringMatching(/^services\.0\.healthUrl: must be an http\(s\) URL/)]);
  });
});
