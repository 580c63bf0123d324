import type { AlertGroupState } from '@chatops/domain';
import { validateMessage } from '@chatops/discord-sim';
import { parseAlertButton, type AlertGroupView } from '../src/alert-message';
import { DIGEST_PAGE_SIZE, renderAlertDigest } from '../src/alert-digest';

const T0 = Date.parse('2026-11-21T10:00:00Z');

function group(id: number, overrides: Partial<AlertGroupState> = {}): AlertGroupView {
  return {
    id,
    silence: null,
    redeploy: null,
    state: {
      status: 'firing',
      episode: 1,
      groupLabels: { alertname: 'ProbeFailed', instance: `host-${id}` },
      commonLabels: { alertname: 'ProbeFailed', environment: 'prod' },
      commonAnnotations: {},
      externalURL: '',
      truncatedAlerts: 0,
      alerts: [],
      firingSince: T0,
      resolvedAt: null,
      ...overrides,
    },
  };
}

const buttonsOf = (message: ReturnType<typeof renderAlertDigest>) =>
  message.components.flatMap((row) => row.components);

describe('renderAlertDigest', () => {
  it('lists each group on a numbered line with a Silence button for each firing one', () => {
    const groups = [
      group(1),
      group(2, { status: 'resolved', resolvedAt: T0 + 60_000 }),
      { ...group(3), silence: { until: T0 + 3_600_000, by: 'alice' } },
    ];
    const message = renderAlertDigest({ groups, mention: null }, T0);
    expect(message.content).toBe(
      '⛈️ **Alert storm**: 3 groups in one message · 2 firing, 1 resolved',
    );
    expect(message.embeds[0]?.description?.split('\n')).toEqual([
      `**1.** 🔥 ProbeFailed on prod \`instance=host-1\` · 0 alerts since <t:${T0 / 1000}:R>`,
      '**2.** ✅ ProbeFailed on prod `instance=host-2` · resolved after 1m 0s',
      `**3.** 🔕 ProbeFailed on prod \`instance=host-3\` · 0 alerts since <t:${T0 / 1000}:R>`,
    ]);
    // Resolved and silenced groups have nothing left to silence.
    const buttons = buttonsOf(message);
    expect(buttons.map((b) => ('label' in b ? b.label : ''))).toEqual(['Silence 1 for 1h']);
    expect(buttons.map((b) => ('custom_id' in b ? parseAlertButton(b.custom_id) : null))).toEqual([
      { action: 'silence', groupId: 1, duration: '1h' },
    ]);
  });

  it('mentions the on-call role only while something fires, and says when all resolved', () => {
    const role = '424242424242424242';
    expect(renderAlertDigest({ groups: [group(1)], mention: role }, T0).content).toMatch(
      new RegExp(`^<@&${role}> ⛈️`),
    );
    const over = renderAlertDigest(
      { groups: [group(1, { status: 'resolved', resolvedAt: T0 })], mention: role },
      T0,
    );
    expect(over.content).toBe('✅ **Alert storm over**: all 1 groups in this message resolved');
    expect(over.components).toEqual([]);
  });

  it('shows every group of a full page within Discord’s limits, whatever its labels hold', () => {
    const huge = 'x'.repeat(5000);
    const groups = Array.from({ length: DIGEST_PAGE_SIZE }, (_, i) =>
      group(i + 1, {
        groupLabels: Object.fromEntries(
          Array.from({ length: 30 }, (_, j) => [`label${j}`, `${huge}<@&1>`]),
        ),
        commonLabels: { alertname: huge, environment: huge },
        truncatedAlerts: 900,
        groupSize: 1000,
      }),
    );
    const message = renderAlertDigest({ groups, mention: null }, T0);
    expect(() => validateMessage(message, { requireContent: true })).not.toThrow();
    const lines = message.embeds[0]?.description?.split('\n') ?? [];
    expect(lines).toHaveLength(DIGEST_PAGE_SIZE);
    lines.forEach((line, i) => {
      expect(line.startsWith(`**${i + 1}.** 🔥 `)).toBe(true);
      expect(line.endsWith(`· 1000 alerts (0 listed firing) since <t:${T0 / 1000}:R>`)).toBe(true);
    });
    expect(buttonsOf(message)).toHaveLength(DIGEST_PAGE_SIZE);
  });
});
