import type { AlertGroupState, AlertInstance } from '@chatops/domain';
import { validateMessage } from '@chatops/discord-sim';
import {
  alertGroupName,
  parseAlertButton,
  renderAlertGroupMessage,
  type AlertGroupView,
} from '../src/alert-message';
import { parseSilenceExpireButton, renderAlertList, renderSilenceList } from '../src/alert-lists';

const T0 = Date.parse('2026-11-21T10:00:00Z');

function alert(i: number, overrides: Partial<AlertInstance> = {}): AlertInstance {
  return {
    fingerprint: `fp${i}`,
    status: 'firing',
    labels: {
      alertname: 'ApiDown',
      severity: 'critical',
      instance: `host-${i}:3000`,
      service: 'api',
    },
    annotations: { summary: `api on host-${i} is down`, description: 'No scrape for 1m.' },
    startsAt: new Date(T0).toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
    ...overrides,
  };
}

function view(alerts: AlertInstance[], overrides: Partial<AlertGroupState> = {}): AlertGroupView {
  return {
    id: 42,
    silence: null,
    redeploy: { service: 'api', environment: 'staging' },
    state: {
      status: 'firing',
      episode: 1,
      groupLabels: { alertname: 'ApiDown' },
      commonLabels: { alertname: 'ApiDown', environment: 'staging' },
      commonAnnotations: { runbook_url: 'https://runbooks.example.com/api-down' },
      externalURL: 'http://alertmanager:9093',
      truncatedAlerts: 0,
      alerts,
      firingSince: T0,
      resolvedAt: null,
      ...overrides,
    },
  };
}

const labelsOf = (message: ReturnType<typeof renderAlertGroupMessage>) =>
  message.components.flatMap((row) => row.components.map((b) => ('label' in b ? b.label : '')));

describe('renderAlertGroupMessage', () => {
  it('shows a firing group with its alerts, severity colour and actions', () => {
    const message = renderAlertGroupMessage(view([alert(1), alert(2)]), T0 + 60_000);
    expect(message.content).toBe(
      `🔥 **Firing**: ApiDown on staging · 2 alerts since <t:${T0 / 1000}:R>`,
    );
    expect(message.embeds).toHaveLength(2);
    expect(message.embeds[0]).toMatchObject({
      title: '🔥 ApiDown\\: api on host\\-1 is down',
      description: 'No scrape for 1m.',
      color: 0xe74c3c,
      url: 'http://prometheus:9090/graph?g0.expr=up',
    });
    expect(message.embeds[0]?.fields?.[0]?.value).toBe(
      '`instance=host-1:3000` `service=api` `severity=critical`',
    );
    expect(labelsOf(message)).toEqual([
      'Silence 1h',
      'Silence 4h',
      'Redeploy api',
      'Runbook',
      'Alertmanager',
    ]);
    const ids = message.components[0]?.components.map((b) =>
      'custom_id' in b ? b.custom_id : 'link',
    );
    expect(ids?.map((id) => id && parseAlertButton(id))).toEqual([
      { action: 'silence', groupId: 42, duration: '1h' },
      { action: 'silence', groupId: 42, duration: '4h' },
      { action: 'redeploy', environment: 'staging', service: 'api' },
      null,
      null,
    ]);
  });

  it('renders the same group resolved, with how long it fired and only the runbook left', () => {
    const ended = new Date(T0 + 12 * 60_000).toISOString();
    const message = renderAlertGroupMessage(
      view([alert(1, { status: 'resolved', endsAt: ended })], {
        status: 'resolved',
        resolvedAt: T0 + 12 * 60_000,
      }),
    );
    expect(message.content).toBe('✅ **Resolved** after 12m 0s: ApiDown on staging');
    expect(message.embeds[0]).toMatchObject({
      title: '✅ ApiDown\\: api on host\\-1 is down',
      color: 0x2ecc71,
    });
    expect(labelsOf(message)).toEqual(['Runbook']);
  });

  it('says how many alerts the group held when Alertmanager listed only some', () => {
    const listed = Array.from({ length: 100 }, (_, i) => alert(i));
    const firing = renderAlertGroupMessage(
      view(listed, { truncatedAlerts: 20, groupSize: 120 }),
      T0,
    );
    expect(firing.content).toBe(
      `🔥 **Firing**: ApiDown on staging · 120 alerts (100 listed firing) since <t:${T0 / 1000}:R>`,
    );
    const resolved = renderAlertGroupMessage(
      view(
        listed.map((a) => ({ ...a, status: 'resolved' as const })),
        { status: 'resolved', truncatedAlerts: 20, groupSize: 120, resolvedAt: T0 + 60_000 },
      ),
      T0,
    );
    expect(resolved.content).toBe(
      '✅ **Resolved** after 1m 0s: ApiDown on staging · all 120 alerts',
    );
  });

  it('tells sibling groups apart by the labels Alertmanager grouped them by', () => {
    const probe = (instance: string) =>
      renderAlertGroupMessage(
        view([alert(1)], {
          groupLabels: { alertname: 'ProbeAlert', environment: 'staging', instance, job: 'probe' },
        }),
        T0,
      ).content;
    expect(probe('host-1')).toBe(
      `🔥 **Firing**: ProbeAlert on staging \`instance=host-1\` \`job=probe\` · 1 alert since <t:${T0 / 1000}:R>`,
    );
    expect(probe('host-1')).not.toBe(probe('host-2'));
    const hostile = renderAlertGroupMessage(
      view([alert(1)], {
        groupLabels: Object.fromEntries(
          Array.from({ length: 40 }, (_, i) => [`l${i}`, `\`<@&1>${'v'.repeat(200)}`]),
        ),
      }),
      T0,
    );
    expect(hostile.content.length).toBeLessThanOrEqual(2000);
    // A line break in a label cannot end the code span and start a heading or a quote.
    const broken = renderAlertGroupMessage(
      view([alert(1)], { groupLabels: { alertname: 'X', instance: 'a\n# big\n> quote' } }),
      T0,
    );
    expect(broken.content).toContain('`instance=a # big > quote`');
    expect(broken.content).not.toContain('\n');
    expect(hostile.content).toContain("`l0='<@&1>");
    expect(hostile.content).toMatch(/ \+\d+ · 1 alert/);
  });

  it('names the group’s thread in plain text within Discord’s 100 characters', () => {
    const { state } = view([alert(1)], {
      groupLabels: { alertname: 'ProbeFailed', job: 'probe', instance: 'a\nb' },
    });
    expect(alertGroupName(state)).toBe('ProbeFailed on staging a b probe');
    const long = view([alert(1)], { groupLabels: { alertname: 'X', instance: 'y'.repeat(300) } });
    expect(alertGroupName(long.state)).toHaveLength(100);
  });

  it('says who silenced it until when', () => {
    const message = renderAlertGroupMessage(
      { ...view([alert(1)]), silence: { until: T0 + 3_600_000, by: 'alice' } },
      T0,
    );
    expect(message.content).toContain(
      `🔕 silenced by alice until <t:${(T0 + 3_600_000) / 1000}:t>`,
    );
  });

  it('stays within every Discord limit with many alerts and huge annotations', () => {
    const huge = 'x'.repeat(10_000);
    const alerts = Array.from({ length: 40 }, (_, i) =>
      alert(i, {
        annotations: { summary: huge, description: huge, runbook_url: `https://x/${huge}` },
        labels: { alertname: 'A'.repeat(300), severity: 'warning', instance: `h${i}`, note: huge },
        generatorURL: `http://p/${huge}`,
      }),
    );
    const message = renderAlertGroupMessage(view(alerts, { truncatedAlerts: 60 }));
    expect(() => validateMessage(message, { requireContent: true })).not.toThrow();
    expect(message.embeds).toHaveLength(10);
    expect(message.embeds[9]?.title).toBe('…and 91 more alerts');
    expect(message.embeds[9]?.description).toContain('60 left out by Alertmanager (max_alerts)');
    expect(message.embeds[0]?.url).toBeUndefined();
  });

  it.each([1, 10, 11, 100, 125, 400, 5_000])(
    'posts a group of %i alerts within every Discord limit, listing the rest',
    (size) => {
      const alerts = Array.from({ length: size }, (_, i) => alert(i));
      const message = renderAlertGroupMessage(view(alerts));
      expect(() => validateMessage(message, { requireContent: true })).not.toThrow();
      expect(message.embeds).toHaveLength(Math.min(size, 10));
      if (size > 10) {
        const more = message.embeds[9];
        expect(more?.title).toBe(`…and ${size - 9} more alerts`);
        expect(more?.description?.length).toBeLessThanOrEqual(4096);
        // As many one-line entries as fit, then how many were not listed.
        const listed = (more?.description ?? '').split('\n').filter((l) => l.startsWith('🔥'));
        expect(listed.length).toBeGreaterThanOrEqual(Math.min(size - 9, 30));
        if (listed.length < size - 9)
          expect(more?.description).toContain(`and ${size - 9 - listed.length} not listed`);
      }
    },
  );

  it('shows label values and annotations as typed: no mention, markdown or masked link renders', () => {
    const hostile = '@everyone [click me](https://evil.example/phish) <@&123456789012345678> **x**';
    const alerts = Array.from({ length: 12 }, (_, i) =>
      alert(i, {
        labels: { alertname: hostile, severity: 'critical', instance: hostile },
        annotations: { summary: hostile, description: `${hostile}\nsecond line` },
      }),
    );
    const message = renderAlertGroupMessage(
      {
        ...view(alerts, {
          groupLabels: { alertname: hostile },
          commonLabels: { alertname: hostile, environment: hostile },
        }),
        silence: { until: T0 + 60_000, by: hostile },
      },
      T0,
    );
    const outsideCode = (text: string | undefined) => (text ?? '').replace(/`[^`]*`/g, '');
    const texts = [
      message.content,
      ...message.embeds.flatMap((e) => [
        e.title,
        e.description,
        ...(e.fields ?? []).map((f) => f.value),
      ]),
    ].map(outsideCode);
    for (const text of texts) {
      expect(text).not.toMatch(/(^|[^\\])@everyone/);
      expect(text).not.toMatch(/(^|[^\\])\[click me\]\(/);
      expect(text).not.toMatch(/(^|[^\\])<@&/);
      expect(text).not.toMatch(/(^|[^\\])\*\*x/);
    }
    // Line breaks of a description stay.
    expect(message.embeds[0]?.description).toMatch(/\nsecond line$/);
  });

  it('offers no redeploy without a service and environment, and refuses forged button ids', () => {
    const message = renderAlertGroupMessage({ ...view([alert(1)]), redeploy: null });
    expect(labelsOf(message)).not.toContain('Redeploy api');
    for (const forged of [
      'alert:silence:42:2h',
      'alert:silence:x:1h',
      'alert:redeploy:staging:api;reboot',
      'alert:redeploy:Staging:api',
      'alert:rollback:staging:api:-rf',
      'alert:rollback:staging:api:v1;reboot',
      'alert:rollback:staging:api:',
      'alert:rollback:Staging:api:v1',
      `alert:rollback:staging:api:${'v'.repeat(129)}`,
    ])
      expect(parseAlertButton(forged)).toBeNull();
  });

  describe('after a deployment', () => {
    const deploy = {
      deploymentId: 'd1',
      kind: 'deploy' as const,
      service: 'api',
      environment: 'staging',
      from: 'v2',
      to: 'v3',
      by: 'bob',
      liveAt: T0 - 4 * 60_000,
      link: 'https://github.com/acme/chatops/actions/runs/7',
      rollbackTo: 'v2',
    };

    it('says which deployment it fired after and offers a rollback to the last good version', () => {
      const message = renderAlertGroupMessage({ ...view([alert(1)]), deploy }, T0);
      expect(message.content.split('\n')[1]).toBe(
        `🚀 Fired 4m 0s after the deploy: api \`v2\` → \`v3\` by bob (live <t:${deploy.liveAt / 1000}:R>) · [run](<https://github.com/acme/chatops/actions/runs/7>)`,
      );
      // Six buttons: two rows, none over Discord's five.
      expect(message.components.map((row) => row.components.length)).toEqual([5, 1]);
      expect(labelsOf(message)[0]).toBe('Roll back to v2');
      const id = (message.components[0]?.components[0] as { custom_id: string }).custom_id;
      expect(parseAlertButton(id)).toEqual({
        action: 'rollback',
        environment: 'staging',
        service: 'api',
        to: 'v2',
      });
      expect(() => validateMessage(message, { requireContent: true })).not.toThrow();
    });

    it('keeps the deployment once resolved, without the rollback, and offers none without a good version', () => {
      const resolvedView = {
        ...view([alert(1, { status: 'resolved', endsAt: new Date(T0 + 60_000).toISOString() })], {
          status: 'resolved',
          resolvedAt: T0 + 60_000,
        }),
        deploy,
      };
      const resolvedMessage = renderAlertGroupMessage(resolvedView, T0 + 60_000);
      expect(resolvedMessage.content).toContain('Fired 4m 0s after the deploy');
      expect(labelsOf(resolvedMessage)).not.toContain('Roll back to v2');
      const none = renderAlertGroupMessage(
        { ...view([alert(1)]), deploy: { ...deploy, rollbackTo: null } },
        T0,
      );
      expect(labelsOf(none).some((l) => l?.startsWith('Roll back'))).toBe(false);
      const rolling = renderAlertGroupMessage(
        { ...view([alert(1)]), deploy: { ...deploy, liveAt: T0 + 60_000 } },
        T0,
      );
      expect(rolling.content).toContain('Fired while the deploy was rolling out');
    });

    it('names a digest in full in the button when it fits, and leaves it to the confirmation when not', () => {
      const digest = `sha256:${'a'.repeat(64)}`;
      const short = renderAlertGroupMessage(
        { ...view([alert(1)]), deploy: { ...deploy, rollbackTo: digest } },
        T0,
      );
      const id = (short.components[0]?.components[0] as { custom_id: string }).custom_id;
      expect(parseAlertButton(id)).toMatchObject({ action: 'rollback', to: digest });
      const longService = 'a'.repeat(32);
      const long = renderAlertGroupMessage(
        {
          ...view([alert(1)]),
          deploy: { ...deploy, service: longService, rollbackTo: digest },
        },
        T0,
      );
      const longId = (long.components[0]?.components[0] as { custom_id: string }).custom_id;
      expect(longId.length).toBeLessThanOrEqual(100);
      expect(parseAlertButton(longId)).toEqual({
        action: 'rollback',
        environment: 'staging',
        service: longService,
        to: null,
      });
      expect(() => validateMessage(long, { requireContent: true })).not.toThrow();
    });

    it('shows the requester as typed, and no link that is not http(s) or could break out', () => {
      const hostile = '@everyone [x](https://evil.example) <@&123456789012345678> **b**';
      const message = renderAlertGroupMessage(
        {
          ...view([alert(1)]),
          deploy: {
            ...deploy,
            by: hostile,
            from: 'a`b',
            link: 'javascript:alert(1)',
          },
        },
        T0,
      );
      const line = message.content.split('\n')[1] ?? '';
      const outside = line.replace(/`[^`]*`/g, '');
      expect(outside).not.toMatch(/(^|[^\\])@everyone/);
      expect(outside).not.toMatch(/(^|[^\\])<@&/);
      expect(outside).not.toMatch(/(^|[^\\])\[x\]\(/);
      expect(line).not.toContain('javascript:');
      const breaking = renderAlertGroupMessage(
        {
          ...view([alert(1)]),
          deploy: { ...deploy, link: 'https://a.example/x)[y](https://evil)' },
        },
        T0,
      );
      expect(breaking.content).toContain('[run](<https://a.example/x%29[y]%28https://evil%29>)');
    });
  });
});

describe('alert and silence lists', () => {
  it('lists firing alerts most severe first and counts the muted ones apart', () => {
    const base = { labels: {}, generatorURL: null, silencedBy: [], summary: null };
    const message = renderAlertList(
      [
        {
          ...base,
          fingerprint: 'a',
          name: 'HighCpu',
          severity: 'warning',
          startsAt: T0,
          state: 'active',
          labels: { instance: 'h1' },
        },
        {
          ...base,
          fingerprint: 'b',
          name: 'ApiDown',
          severity: 'critical',
          startsAt: T0,
          state: 'active',
          summary: 'api is down',
        },
        {
          ...base,
          fingerprint: 'c',
          name: 'LowDisk',
          severity: 'warning',
          startsAt: T0,
          state: 'suppressed',
        },
      ],
      'staging',
    );
    expect(message.content).toBe('🔥 2 alerts firing on staging (and 1 silenced or inhibited)');
    expect(message.embeds[0]?.description?.split('\n')).toEqual([
      `🔴 **ApiDown**  since <t:${T0 / 1000}:R> · api is down`,
      `🟠 **HighCpu** \`h1\` since <t:${T0 / 1000}:R>`,
      `🔕 **LowDisk**  since <t:${T0 / 1000}:R>`,
    ]);
    expect(renderAlertList([], 'prod').content).toBe('✅ No alerts firing on prod.');
  });

  it('lists silences with an Expire button each, for those who may expire them', () => {
    const id = '0b5f0c6e-8f3a-4c47-9a4d-2f1e6c7b8a90';
    const silence = {
      id,
      state: 'active' as const,
      matchers: [{ name: 'alertname', value: 'HighCpu', isRegex: false, isEqual: true }],
      createdBy: 'alice',
      comment: 'noisy during load test',
      startsAt: T0,
      endsAt: T0 + 3_600_000,
    };
    const message = renderSilenceList([silence], true);
    expect(message.embeds[0]?.description).toBe(
      `**1.** \`alertname="HighCpu"\` · ends <t:${(T0 + 3_600_000) / 1000}:R> · by alice · noisy during load test`,
    );
    const button = message.components[0]?.components[0];
    expect(button && 'custom_id' in button && parseSilenceExpireButton(button.custom_id)).toBe(id);
    expect(renderSilenceList([silence], false).components).toEqual([]);
    const many = Array.from({ length: 30 }, (_, i) => ({
      ...silence,
      id: id.replace('0b5f', `${1000 + i}`),
    }));
    const crowded = renderSilenceList(many, true);
    expect(() => validateMessage(crowded, { requireContent: true })).not.toThrow();
    expect(crowded.components).toHaveLength(5);
    expect(parseSilenceExpireButton('silence:expire:../../x')).toBeNull();
  });
});
