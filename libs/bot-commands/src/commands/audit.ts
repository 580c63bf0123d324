import { SlashCommandBuilder } from 'discord.js';
import type { AuditEvent, AuditOutcome } from '@chatops/domain';
import type { BotCommand } from '../command';

const DESCRIPTION_LIMIT = 4096;
const DEFAULT_COUNT = 10;

const OUTCOME_MARK: Record<AuditOutcome, string> = {
  succeeded: '✅',
  failed: '❌',
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
    ),
  permission: 'view',
  ephemeral: true,
  async execute(ctx) {
    const count = ctx.interaction.options.getInteger('count') ?? DEFAULT_COUNT;
    const events = await ctx.services.api.listAudit({ limit: count });
    await ctx.reply({
      embeds: [
        {
          title: `Recent activity (${events.length})`,
          description: events.length
            ? fitLines(events.map(describe), DESCRIPTION_LIMIT)
            : 'Nothing audited yet.',
        },
      ],
    });
  },
};

function describe(event: AuditEvent): string {
  const where = [event.service, event.environment].filter(Boolean).join(' → ');
  const when = `<t:${Math.floor(event.occurredAt / 1000)}:R>`;
  return `${OUTCOME_MARK[event.outcome]} ${when} **${event.actor.name}** ${event.action}${where ? ` ${where}` : ''} · ${event.outcome}`;
}

/** Whole lines only, with a count of what did not fit. */
function fitLines(lines: string[], limit: number): string {
  const kept: string[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    const more = `\n… and ${lines.length - index} more`;
    if (length + line.length + 1 + more.length > limit) {
      kept.push(more.trim());
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}
