import type { CommitSummary, DeploymentChange, PlanSummary, ReviewedPlan } from '@chatops/domain';
import { codeSpan, fitText, LIMITS, plainText } from './limits';

/** The parts of a change a message shows; each fits a field value. */
export interface ChangeView {
  /** "[`abc1234`](url) by alice: Fix the login page". */
  target: string | null;
  /** "`3f2a…` from [`3f2a1b9`](url) by bob: …" or "nothing deployed yet". */
  running: string;
  /** The compare: how far and which way, the newest commits, a link. */
  compare: string | null;
}

/** One commit as a line: its short SHA linked, who wrote it, its title (escaped). */
export function commitLine(commit: CommitSummary, titleLimit = 100): string {
  const short = codeSpan(commit.sha.slice(0, 7));
  const sha = safeUrl(commit.url) ? `[${short}](${commit.url})` : short;
  const author = commit.author ? ` by ${plainText(commit.author, 40)}` : '';
  return `${sha}${author}: ${plainText(commit.title, titleLimit)}`;
}

/** What a deploy kind changes, in words for the request, approval and progress messages. */
export function describeChange(change: DeploymentChange): ChangeView {
  const target = change.target ? commitLine(change.target) : null;
  const current = change.current;
  // An image tagged with its commit's SHA is that commit: named once.
  const running = !current
    ? 'nothing deployed yet'
    : current.commit && current.commit.sha.startsWith(current.version)
      ? commitLine(current.commit, 80)
      : `${codeSpan(fitText(current.version, 80))}${current.commit ? ` from ${commitLine(current.commit, 80)}` : ''}`;
  return { target, running, compare: compareText(change) };
}

function compareText(change: DeploymentChange): string | null {
  const c = change.compare;
  if (!c)
    return change.unavailable ? `Could not tell: ${plainText(change.unavailable, 300)}` : null;
  const link = safeUrl(c.url) ? ` · [compare](${c.url})` : '';
  const commits = (n: number) => `${n} commit${n === 1 ? '' : 's'}`;
  let head: string;
  switch (c.status) {
    case 'identical':
      return 'Same commit as what runs: nothing changes in the code.';
    case 'behind':
      return `⚠️ **Goes back ${commits(c.behindBy)}**: the target is older than what runs${link}`;
    case 'diverged':
      head = `⚠️ Diverged: ${commits(c.aheadBy)} new, ${commits(c.behindBy)} that run now dropped${link}`;
      break;
    default:
      head = `${commits(c.aheadBy)} ahead of what runs${link}`;
  }
  // Unlinked (the compare link shows them all), so ten fit in a field with room for titles.
  const lines = c.commits.map(
    (commit) =>
      `• ${codeSpan(commit.sha.slice(0, 7))}${commit.author ? ` ${plainText(commit.author, 40)}` : ''}: ${plainText(commit.title, 72)}`,
  );
  const more = c.aheadBy - c.commits.length;
  // Within one field value, whatever the titles hold: lines are dropped whole, and counted.
  const budget = LIMITS.fieldValue - head.length - 40;
  const shown: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + line.length + 1 > budget) break;
    shown.push(line);
    used += line.length + 1;
  }
  const hidden = more + (lines.length - shown.length);
  return [head, ...shown, ...(hidden > 0 ? [`…and ${hidden} more`] : [])].join('\n');
}

/** Only http(s) links are rendered (a stand-in or GHES may answer http). */
function safeUrl(url: string | null): url is string {
  return Boolean(url && /^https?:\/\/[^\s()<>]+$/.test(url));
}

/** "Plan: 1 to add, 1 to change, 1 to destroy", as Terraform says it; "No changes." for none. */
export function planLine(plan: PlanSummary): string {
  if (!plan.add && !plan.change && !plan.destroy) return 'No changes.';
  return `Plan: ${plan.add} to add, ${plan.change} to change, ${plan.destroy} to destroy`;
}

/**
 * A plan for a field: its line, who made it and where (for an apply), and its resource lines in
 * a code block (addresses come from the repository's Terraform: shown as typed, cut to fit).
 */
export function planField(plan: PlanSummary, reviewed?: Omit<ReviewedPlan, 'summary'>): string {
  const source = reviewed
    ? `\nPlanned by ${plainText(reviewed.plannedBy, 60)} <t:${Math.floor(reviewed.plannedAt / 1000)}:R> in ${
        safeUrl(reviewed.runUrl)
          ? `run [#${reviewed.runId}](${reviewed.runUrl})`
          : `run #${reviewed.runId}`
      }`
    : '';
  const head = `**${planLine(plan)}**${source}`;
  if (!plan.resources.length) return head;
  const room = LIMITS.fieldValue - head.length - '\n```\n\n```'.length - 20;
  const lines: string[] = [];
  let used = 0;
  for (const resource of plan.resources) {
    const line = resource.replaceAll('`', "'").replace(/[\r\n]+/g, ' ');
    if (used + line.length + 1 > room) break;
    lines.push(line);
    used += line.length + 1;
  }
  const more = plan.resources.length - lines.length;
  return `${head}\n\`\`\`\n${lines.join('\n')}${more ? `\n…and ${more} more` : ''}\n\`\`\``;
}
