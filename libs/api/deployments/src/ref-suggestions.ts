import type { GitRefChoice, GithubRepository } from '@chatops/github';

export interface RefSuggestionsOptions {
  /** How long the repository's refs are reused (default 30 s). */
  ttlMs?: number;
  limit?: number;
}

/**
 * Autocomplete for `ref:`: branches, tags and recent commits matching what was typed, at most 25
 * (Discord's limit), from a briefly cached listing so every keystroke does not cost GitHub calls.
 * One listing is fetched at a time however many members type at once.
 */
export class RefSuggestions {
  private cached: { at: number; refs: Promise<GitRefChoice[]> } | null = null;
  private readonly ttlMs: number;
  private readonly limit: number;

  constructor(
    private readonly github: GithubRepository,
    options: RefSuggestionsOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.limit = Math.min(options.limit ?? 25, 25);
  }

  async suggest(query: string): Promise<GitRefChoice[]> {
    const refs = await this.refs();
    const typed = query.trim().toLowerCase();
    const matches = refs.filter((r) => r.name.toLowerCase().includes(typed));
    // Names starting with what was typed first, then branches before tags before commits.
    const rank = (r: GitRefChoice) =>
      (r.name.toLowerCase().startsWith(typed) ? 0 : 10) +
      ['branch', 'tag', 'commit'].indexOf(r.kind);
    return matches
      .map((r, index) => ({ r, index }))
      .sort((a, b) => rank(a.r) - rank(b.r) || a.index - b.index)
      .slice(0, this.limit)
      .map(({ r }) => r);
  }

  private refs(): Promise<GitRefChoice[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.ttlMs) {
      const refs = this.github.listRefs();
      this.cached = { at: now, refs };
      // A failed listing is not cached.
      refs.catch(() => {
        if (this.cached?.refs === refs) this.cached = null;
      });
    }
    return this.cached.refs;
  }
}
