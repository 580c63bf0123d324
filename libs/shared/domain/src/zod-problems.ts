/** What the problem list needs of a zod issue. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
}

/**
 * Zod's issues as the problems every edge lists: "path: message", one per issue, `whole` for an
 * issue about the value itself. `describe` words an issue differently (a missing variable…).
 */
export function zodProblems<I extends SchemaIssue>(
  issues: readonly I[],
  options: { whole?: string; describe?: (issue: I) => string } = {},
): string[] {
  const { whole = '(root)', describe = (issue: I) => issue.message } = options;
  return issues.map((issue) => `${issue.path.map(String).join('.') || whole}: ${describe(issue)}`);
}
