/**
 * What a deploy, redeploy or rollback changes, as the requester and the approvers see it: the
 * commit it puts on the hosts, what runs there now, and GitHub's compare between the two. Text
 * in it (authors, commit titles) comes from the repository: escape it where it is rendered.
 */
export interface CommitSummary {
  sha: string;
  /** Link to the commit on GitHub (absent when GitHub gave none). */
  url: string | null;
  /** The author's GitHub login, else the name in the commit. */
  author: string | null;
  /** The commit message's first line. */
  title: string;
  /**
   * When it was committed (ms; lead time for changes counts from it). Absent in records from
   * before it was kept; null when GitHub gave no date.
   */
  committedAt?: number | null;
}

export type CompareStatus = 'ahead' | 'behind' | 'identical' | 'diverged';

export interface DeploymentChange {
  /** The commit being deployed (null: the version names no commit GitHub knows). */
  target: CommitSummary | null;
  /** What runs there now: the desired version, and the commit it was built from. */
  current: { version: string; commit: CommitSummary | null } | null;
  /**
   * From what runs to the target: `ahead` moves forward, `behind` goes back (the target is an
   * ancestor of what runs). `commits` are the newest first, at most `COMPARE_COMMITS_SHOWN`.
   */
  compare: {
    status: CompareStatus;
    aheadBy: number;
    behindBy: number;
    commits: CommitSummary[];
    url: string | null;
  } | null;
  /** Why part of it could not be told (GitHub unreachable, a version that names no commit). */
  unavailable: string | null;
}

/** Commit lines a message lists before "and N more". */
export const COMPARE_COMMITS_SHOWN = 10;

/** A version or ref that is a commit SHA (image tags are the commit they were built from). */
export function isCommitSha(value: string): boolean {
  return /^[0-9a-f]{7,40}$/.test(value);
}

/**
 * Whether a change goes backwards: what would run is an ancestor of what runs (it holds nothing
 * new and drops `behindBy` commits).
 */
export function goesBackwards(change: DeploymentChange | null | undefined): boolean {
  return change?.compare?.status === 'behind';
}

/** A deploy or redeploy that would go back, waiting for its requester to confirm it. */
/**
 * A deploy or redeploy the member is asked to confirm: its target is older than what runs
 * (`older`), or another deployment there is still in its bake window (`baking`), or both.
 */
export interface BackwardsConfirmation {
  id: string;
  expiresAt: number;
  kind: 'deploy' | 'redeploy';
  service: string;
  environment: string;
  /** The ref or version asked for. */
  target: string;
  /** A promotion: the environment the version comes from. */
  promoteFrom?: string | null;
  /** What it changes (null: not told; only when asked over a bake, not for going back). */
  change: DeploymentChange | null;
  /** The target is older than what runs (absent: true, as before bakes existed). */
  older?: boolean;
  /** The deployment whose bake window this one would cut short. */
  baking?: BakingDeployment | null;
}

/** A deployment in its bake window, as a confirmation names it. */
export interface BakingDeployment {
  deploymentId: string;
  /** "redeploy api@v2 → staging" */
  what: string;
  /** Who asked for it (as typed). */
  by: string;
  endsAt: number;
}

/** What a Terraform plan changes, as the infra workflow announces it (counts as Terraform's). */
export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  /** Up to 20 "<actions> <address>" lines. */
  resources: string[];
}

/** The plan an `/infra apply` applies: the plan run its approvers see, and what it changes. */
export interface ReviewedPlan {
  deploymentId: string;
  runId: string;
  runUrl: string | null;
  plannedAt: number;
  plannedBy: string;
  summary: PlanSummary;
}

/**
 * A plan summary read from a workflow annotation (text from outside: checked, not trusted);
 * null when it is not one.
 */
export function parsePlanSummary(text: string): PlanSummary | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const v = value as Record<string, unknown>;
  const count = (n: unknown) => (Number.isInteger(n) && (n as number) >= 0 ? (n as number) : null);
  const [add, change, destroy] = [count(v?.['add']), count(v?.['change']), count(v?.['destroy'])];
  if (add === null || change === null || destroy === null || !Array.isArray(v['resources']))
    return null;
  const resources = (v['resources'] as unknown[])
    .filter((r): r is string => typeof r === 'string')
    .slice(0, 20)
    .map((r) => r.slice(0, 300));
  return { add, change, destroy, resources };
}
