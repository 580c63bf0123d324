import type { APIEmbed } from 'discord-api-types/v10';
import type { DeliveryMetrics, DeliveryReport } from '@chatops/domain';
import { formatDuration } from './deployment-message';
import { fitLines, fitText, LIMITS } from './limits';

/** `/dora`: the four delivery metrics over the window, then the same per service and environment. */
export function renderDeliveryReport(report: DeliveryReport): {
  content: string;
  embeds: APIEmbed[];
} {
  const scope = [report.service, report.environment].filter(Boolean).join(' on ');
  const { metrics } = report;
  const embed: APIEmbed = {
    title: fitText(
      `Delivery over the last ${report.days} day${report.days === 1 ? '' : 's'}${scope ? ` (${scope})` : ''}`,
      LIMITS.embedTitle,
    ),
    fields: [
      {
        name: 'Deployment frequency',
        value: `${metrics.changes} change${metrics.changes === 1 ? '' : 's'} · ${perDay(metrics.changesPerDay)} a day`,
        inline: true,
      },
      { name: 'Lead time for changes', value: median(metrics.leadTimeMs), inline: true },
      { name: 'Change failure rate', value: failureRate(metrics), inline: true },
      {
        name: 'Time to restore',
        value: `${median(metrics.timeToRestoreMs)}${metrics.unrestored ? ` · ${metrics.unrestored} not restored` : ''}`,
        inline: true,
      },
    ],
    footer: {
      text: 'Changes: deploys and redeploys to a new version. Failed: rolled back next, or marked failed after going live.',
    },
  };
  if (report.breakdown.length > 1)
    embed.description = fitLines(
      report.breakdown.map(
        ({ service, environment, metrics: m }) =>
          `\`${service}\` on \`${environment}\`: ${m.changes} change${m.changes === 1 ? '' : 's'}, ${failureRate(m)} failed, lead ${median(m.leadTimeMs)}, restore ${median(m.timeToRestoreMs)}`,
      ),
      LIMITS.embedDescription,
    );
  const content = metrics.changes
    ? `📈 ${metrics.changes} change${metrics.changes === 1 ? '' : 's'} in ${report.days} day${report.days === 1 ? '' : 's'}`
    : `📈 No change went live in the last ${report.days} day${report.days === 1 ? '' : 's'}`;
  return { content: `${content}${scope ? ` (${scope})` : ''}`, embeds: [embed] };
}

function median(ms: number | null): string {
  return ms === null ? '—' : `median ${formatDuration(ms)}`;
}

function failureRate(metrics: DeliveryMetrics): string {
  if (metrics.changeFailureRate === null) return '—';
  return `${Math.round(metrics.changeFailureRate * 100)} % (${metrics.failures} of ${metrics.changes})`;
}

function perDay(rate: number): string {
  return rate >= 10 ? rate.toFixed(0) : rate >= 1 ? rate.toFixed(1) : rate.toFixed(2);
}
