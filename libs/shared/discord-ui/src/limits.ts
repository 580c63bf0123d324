/**
 * Discord's limits, the one copy production code uses (see ARCHITECTURE.md: facts that shape the
 * design). The Discord stand-in keeps its own, to check ours independently.
 */
export const LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  fieldName: 256,
  fieldValue: 1024,
  fieldsPerEmbed: 25,
  embedsPerMessage: 10,
  embedTotal: 6000,
  actionRows: 5,
  buttonsPerRow: 5,
  buttonLabel: 80,
  customId: 100,
  autocompleteChoices: 25,
  choiceName: 100,
} as const;

/**
 * Cuts text to `limit` UTF-16 units (the stricter count, so any emoji-heavy text fits), never
 * splitting a character, and marks the cut with "…".
 */
export function fitText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let kept = '';
  for (const char of text) {
    if (kept.length + char.length > limit - 1) break;
    kept += char;
  }
  return `${kept}…`;
}

/**
 * As many whole lines as fit in `limit` (an embed description, a field), then "…and N more" for
 * the rest, the marker counted within the limit.
 */
export function fitLines(lines: readonly string[], limit: number): string {
  const kept: string[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    const more = `…and ${lines.length - index} more`;
    if (length + line.length + 1 + more.length > limit) {
      kept.push(more);
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}

// Markdown that formats, links, quotes, heads or mentions in Discord; a backslash before
// any of them shows it as typed.
const MARKDOWN = /[\\`*_~|<>#[\]()@:-]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * Text from people (names, reasons) or from outside (labels, refs) shown as typed, outside
 * code spans: no markdown in it formats, links or quotes, no `<@…>` or `<t:…>` renders,
 * control characters are dropped and line breaks become spaces, then it is cut to `limit`.
 */
export function plainText(text: string, limit: number = LIMITS.content): string {
  return escapedWithin(text.replace(CONTROL, '').replace(/[\r\n\t]+/g, ' '), limit);
}

/** `plainText` that keeps line breaks (at most two in a row): for descriptions. */
export function plainLines(text: string, limit: number = LIMITS.content): string {
  const lines = text
    .replace(CONTROL, '')
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/\n{3,}/g, '\n\n');
  return escapedWithin(lines, limit);
}

function escapedWithin(flat: string, limit: number): string {
  const escaped = flat.replace(MARKDOWN, '\\$&');
  if (escaped.length <= limit) return escaped;
  // Cut whole characters, never between a backslash and what it escapes.
  let kept = '';
  for (const char of flat) {
    const piece = char.replace(MARKDOWN, '\\$&');
    if (kept.length + piece.length > limit - 1) break;
    kept += piece;
  }
  return `${kept}…`;
}

/** A code span of text as typed: no backtick ends it early, no line break splits it. */
export function codeSpan(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it drops
  return `\`${text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replaceAll('`', "'")}\``;
}
