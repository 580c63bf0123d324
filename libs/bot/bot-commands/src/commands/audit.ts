import { SlashCommandBuilder } from 'discord.js';
import type { AuditEvent, AuditOutcome } from '@chatops/domain';
import { fitLines, fitText, LIMITS, plainText } from '@chatops/discord-ui';
import type { BotCommand } from '../command';
import { asCommandErrors } from '../api-calls';
import { catalogChoices } from '../option-choices';

const DEFAULT_COUNT = 10;

const OUTCOME_MARK: Record<AuditOutcome, string> = {
  succeeded: '✅',
  failed: '❌',
  cancelled: '🛑',
  rejected: '🚫',
  denied: '⛔',
  requested: '🕓',
};

export const auditCommand: BotCommand = {
  data: new SlashCommandBuilder()
    .setName('audit')
    .setDescription('Recent audited actions: who did what, where, and how it ended')
    .addIntegerOption((option) =>
      option
        .setName('count')
        .setDescription(`How many (1–25, default ${DEFAULT_COUNT})`)
        .setMinValue(1)
        .setMaxValue(25),
    )
    .addStringOption((o) =>
      o.setName('service').setDescription('Only this service').setAutocomplete(true),
    )
    .addStringOption((o) =>
      o.setName('env').setDescription('Only this environment').setAutocomplete(true),
    )
    .addUserOption((o) => o.setName('actor').setDescription('Only what this member did')),
  permission: 'view',
  ephemeral: true,
  async execute(ctx) {
    const options = ctx.interaction.options;
    const count = options.getInteger('count') ?? DEFAULT_COUNT;
    const service = options.getString('service') ?? undefined;
    const environment = options.getString('env') ?? undefined;
    const actor = options.getUser?.('actor') ?? null;
    const events = await asCommandErrors(() =>
      ctx.services.api.listAudit({
        limit: count,
        ...(service ? { service } : {}),
        ...(environment ? { environment } : {}),
        ...(actor ? { actorId: actor.id } : {}),
      }),
    );
    const scope = [service, environment, actor ? `by ${actor.username}` : null].filter(Boolean);
    await ctx.reply({
      embeds: [
        {
          title: fitText(
            `Recent activity${scope.length ? ` (${scope.join(', ')})` : ''} (${events.length})`,
            LIMITS.embedTitle,
          ),
          description: events.length
            ? fitLines(events.map(describeAuditEvent), LIMITS.embedDescription)
            : 'Nothing audited yet.',
        },
      ],
    });
  },
  async autocomplete(interaction, services) {
    return catalogChoices(interaction, services);
  },
};

/**
 * One line per event: outcome, when, who, what and where, what it changes (ref, or version
 * from → to), its run, who approved it, and why it was refused or failed. Everything recorded
 * from people or from outside is shown as typed.
 */
export function describeAuditEvent(event: AuditEvent): string {
  const detail = event.detail;
  const where = [event.service, event.environment]
    .filter((v): v is string => Boolean(v))
    .map((v) => plainText(v, 40))
    .join(' → ');
  const when = `<t:${Math.floor(event.occurredAt / 1000)}:R>`;
  const parts = [
    `${OUTCOME_MARK[event.outcome] ?? '•'} ${when} **${plainText(event.actor.name, 60)}** ${plainText(event.action, 40)}${where ? ` ${where}` : ''}`,
  ];
  const version = stringOf(detail['version']);
  const from = stringOf(detail['from']);
  const ref = stringOf(detail['ref']);
  if (version)
    parts.push(from && from !== version ? `${code(from)} → ${code(version)}` : code(version));
  else if (ref) parts.push(code(ref));
  const runUrl = stringOf(detail['runUrl']);
  const runId = stringOf(detail['runId']) ?? /\/(\d+)$/.exec(runUrl ?? '')?.[1];
  if (runUrl && SAFE_URL.test(runUrl)) parts.push(`[run${runId ? ` #${runId}` : ''}](${runUrl})`);
  const approvedBy = detail['approvedBy'] as { name?: unknown } | undefined;
  if (typeof approvedBy?.name === 'string')
    parts.push(`approved by ${plainText(approvedBy.name, 60)}`);
  const reason = reasonOf(detail);
  parts.push(reason ? `${event.outcome}: ${plainText(reason, 200)}` : event.outcome);
  return parts.join(' · ');
}

const SAFE_URL = /^https?:\/\/[^\s()<>\\]{1,300}$/;

function reasonOf(detail: Record<string, unknown>): string | null {
  const problems = detail['problems'];
  if (Array.isArray(problems) && problems.length) return problems.map(String).join('; ');
  for (const key of ['reason', 'error'])
    if (typeof detail[key] === 'string' && detail[key]) return detail[key] as string;
  if (typeof detail['lockedBy'] === 'string') return `locked by ${detail['lockedBy']}`;
  if (typeof detail['permission'] === 'string') return `needs \`${detail['permission']}\``;
  return null;
}

function stringOf(value: unknown): string | null {
  return typeof value === 'string' && value
    ? value
    : typeof value === 'number'
      ? String(value)
      : null;
}

/** A value in a code span: nothing in it formats; a backtick cannot end the span early. */
function code(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `\`${fitText(value.replace(/[`\u0000-\u001f\u007f]/g, "'"), 60)}\``;
}
