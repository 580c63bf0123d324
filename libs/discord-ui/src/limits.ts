/** Discord's message limits (see ARCHITECTURE.md: facts that shape the design). */
export const LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  fieldValue: 1024,
  embedsPerMessage: 10,
  embedTotal: 6000,
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
