import { createHash } from 'node:crypto';

/** A commit of the stand-in's repository: one parent (no merges), enough to compare. */
export interface SimCommit {
  sha: string;
  parent: string | null;
  message: string;
  author: string;
  date: string;
}

/** Commits pushed while running, in order, with the branch they moved (kept across restarts). */
export interface PushedCommit extends SimCommit {
  branch: string;
}

export interface GraphComparison {
  status: 'ahead' | 'behind' | 'identical' | 'diverged';
  aheadBy: number;
  behindBy: number;
  mergeBase: SimCommit;
  /** In head and not in base, oldest first (as GitHub lists them). */
  commits: SimCommit[];
}

/** Commits between two named refs on the starting line. */
const COMMITS_BETWEEN_REFS = 2;
const EPOCH = Date.parse('2026-01-05T09:00:00Z');

/**
 * The repository's history: a trunk from a root commit through the tags (oldest first) to
 * `main`, every other branch a few commits ahead of `main` (each named ref keeps the SHA
 * `shaOf(name)`), plus what tests and the sandbox console push onto a branch. Refs resolve by
 * name or by a SHA prefix of 7+.
 */
export class CommitGraph {
  private readonly commits = new Map<string, SimCommit>();
  private readonly tips = new Map<string, string>();
  private readonly pushed: PushedCommit[] = [];

  constructor(branches: readonly string[], tags: readonly string[], pushed: PushedCommit[] = []) {
    let parent = this.add({
      sha: shaOf('root'),
      parent: null,
      message: 'Initial commit',
      author: 'octocat',
      date: stampAt(0),
    }).sha;
    // The trunk: the tags, oldest first, then `main`; every other branch forks from `main`.
    const trunk = [...[...tags].reverse(), ...(branches.includes('main') ? ['main'] : [])];
    trunk.forEach((name, index) => {
      parent = this.line(name, parent, index % 2 ? 'hubot' : 'octocat');
    });
    for (const branch of branches.filter((b) => b !== 'main')) this.line(branch, parent, 'hubot');
    for (const commit of pushed) {
      this.add(commit);
      this.tips.set(commit.branch, commit.sha);
      this.pushed.push(commit);
    }
  }

  /** Commits pushed since the stand-in was first created (its snapshot keeps them). */
  pushedCommits(): PushedCommit[] {
    return this.pushed.map((c) => ({ ...c }));
  }

  get(sha: string): SimCommit | undefined {
    return this.commits.get(sha);
  }

  /** A branch or tag name (optionally `refs/heads/…`), or a SHA or its prefix of 7 or more. */
  resolve(ref: string): string | null {
    const name = ref.replace(/^refs\/(heads|tags)\//, '');
    const tip = this.tips.get(name);
    if (tip) return tip;
    if (!/^[0-9a-f]{7,40}$/.test(ref)) return null;
    for (const sha of this.commits.keys()) if (sha.startsWith(ref)) return sha;
    return null;
  }

  isBranchOrTag(ref: string): boolean {
    return this.tips.has(ref.replace(/^refs\/(heads|tags)\//, ''));
  }

  /** New commits on top of `branch` (created if new, from `main`); the newest last. */
  push(branch: string, count: number, message = 'Change', author = 'octocat'): SimCommit[] {
    const made: SimCommit[] = [];
    let parent = this.tips.get(branch) ?? this.tips.get('main') ?? null;
    for (let i = 0; i < count; i++) {
      const sha = createHash('sha1')
        .update(`push:${branch}:${this.commits.size}:${parent ?? ''}`)
        .digest('hex');
      const commit: PushedCommit = {
        sha,
        parent,
        message: count > 1 ? `${message} (${i + 1}/${count})` : message,
        author,
        date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        branch,
      };
      this.add(commit);
      this.pushed.push(commit);
      made.push(commit);
      parent = sha;
    }
    if (parent) this.tips.set(branch, parent);
    return made;
  }

  /** Newest first from `sha`, at most `limit`. */
  history(sha: string, limit: number): SimCommit[] {
    const out: SimCommit[] = [];
    let at = this.commits.get(sha);
    while (at && out.length < limit) {
      out.push(at);
      at = at.parent ? this.commits.get(at.parent) : undefined;
    }
    return out;
  }

  /** GitHub's compare `base...head`: measured from their merge base. */
  compare(base: string, head: string): GraphComparison {
    const baseLine = this.history(base, Number.MAX_SAFE_INTEGER);
    const inBase = new Set(baseLine.map((c) => c.sha));
    const headOnly: SimCommit[] = [];
    let mergeBase: SimCommit | undefined;
    for (const commit of this.history(head, Number.MAX_SAFE_INTEGER)) {
      if (inBase.has(commit.sha)) {
        mergeBase = commit;
        break;
      }
      headOnly.push(commit);
    }
    if (!mergeBase) throw new Error(`${base} and ${head} share no history`);
    const behindBy = baseLine.findIndex((c) => c.sha === mergeBase?.sha);
    const aheadBy = headOnly.length;
    const status =
      aheadBy && behindBy ? 'diverged' : aheadBy ? 'ahead' : behindBy ? 'behind' : 'identical';
    return { status, aheadBy, behindBy, mergeBase, commits: headOnly.reverse() };
  }

  /** A few commits from `parent`, the last one named `name` (its SHA `shaOf(name)`). */
  private line(name: string, parent: string, author: string): string {
    let at = parent;
    for (let i = COMMITS_BETWEEN_REFS; i >= 1; i--)
      at = this.add({
        sha: shaOf(`${name}~${i}`),
        parent: at,
        message: `Work towards ${name} (${COMMITS_BETWEEN_REFS - i + 1}/${COMMITS_BETWEEN_REFS})\n\nDetails.`,
        author,
        date: stampAt(this.commits.size),
      }).sha;
    at = this.add({
      sha: shaOf(name),
      parent: at,
      message: `Release ${name}\n\nDetails.`,
      author: 'octocat',
      date: stampAt(this.commits.size),
    }).sha;
    this.tips.set(name, at);
    return at;
  }

  private add<T extends SimCommit>(commit: T): T {
    this.commits.set(commit.sha, commit);
    return commit;
  }
}

export function shaOf(name: string): string {
  return createHash('sha1').update(`commit:${name}`).digest('hex');
}

function stampAt(index: number): string {
  return new Date(EPOCH + index * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
