/** An operation found by its description's path template (`/channels/{channel_id}/messages`). */
export interface TemplatedOperation {
  method: string;
  template: string;
  pattern: RegExp;
  /** Literal characters in the template: the most specific template wins. */
  specificity: number;
}

export function templated(method: string, template: string): TemplatedOperation {
  const pattern = new RegExp(
    `^${template
      .split(/\{[^}]+\}/)
      .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+')}$`,
  );
  return {
    method: method.toUpperCase(),
    template,
    pattern,
    specificity: template.replace(/\{[^}]+\}/g, '').length,
  };
}

/** The operation a request is (`@original` matches `{message_id}` too: the literal one wins). */
export function matchOperation<T extends TemplatedOperation>(
  operations: readonly T[],
  method: string,
  path: string,
): T | null {
  const matches = operations.filter(
    (o) => o.method === method.toUpperCase() && o.pattern.test(path),
  );
  return matches.sort((a, b) => b.specificity - a.specificity)[0] ?? null;
}
