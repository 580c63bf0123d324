import { shaOf, type SimCommit } from './commit-graph';

/**
 * The full objects GitHub answers and delivers (repository, workflow, run, job, user), built from
 * what the stand-in keeps, as `@octokit/openapi` and `@octokit/openapi-webhooks` describe them
 * (the suite checks every body against them).
 */
export interface RepoContext {
  owner: string;
  repo: string;
  /** The stand-in's REST base URL (what `url` fields point at). */
  baseUrl: string;
}

/** What the stand-in keeps of a run (its REST shape is built from it). */
/** Octokit's generated types allow bigint ids; the stand-in's are numbers. */
type Id = number | bigint;

export interface StoredRun {
  id: Id;
  name?: string | null;
  display_title: string;
  status: string | null;
  conclusion: string | null;
  html_url: string;
  url: string;
  event: string;
  head_branch: string | null;
  head_sha: string;
  path: string;
  run_number: number;
  run_attempt?: number;
  workflow_id: Id;
  created_at: string;
  updated_at: string;
  run_started_at?: string;
}

/** What the stand-in keeps of a job. */
export interface StoredJob {
  id: Id;
  run_id: Id;
  run_url: string;
  name: string;
  status: string;
  conclusion: string | null;
  started_at: string;
  completed_at: string | null;
  created_at?: string;
  html_url: string | null;
  head_sha: string;
  workflow_name?: string | null;
  labels: string[];
  steps?: {
    name: string;
    status: string;
    conclusion: string | null;
    number: number;
    started_at?: string | null;
    completed_at?: string | null;
  }[];
}

/** The account that dispatches runs in the stand-in (the platform's GitHub App or token). */
export const SIM_ACTOR = 'chatops-bot';

/** A GitHub user as `simple-user` shapes it. */
export function simpleUser(login: string) {
  const id = numericId(`user:${login}`);
  const api = `https://api.github.com/users/${login}`;
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `https://github.com/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: 'User',
    site_admin: false,
  };
}

/** The repository, with every field a webhook's `repository` requires (a superset of REST's minimal one). */
export function repositoryJson(ctx: RepoContext) {
  const full = `${ctx.owner}/${ctx.repo}`;
  const api = `${ctx.baseUrl}/repos/${full}`;
  const html = `https://github.com/${full}`;
  const id = numericId(`repo:${full}`);
  const created = '2025-01-06T09:00:00Z';
  const urls = Object.fromEntries(
    (
      [
        ['archive_url', '/{archive_format}{/ref}'],
        ['assignees_url', '/assignees{/user}'],
        ['blobs_url', '/git/blobs{/sha}'],
        ['branches_url', '/branches{/branch}'],
        ['collaborators_url', '/collaborators{/collaborator}'],
        ['comments_url', '/comments{/number}'],
        ['commits_url', '/commits{/sha}'],
        ['compare_url', '/compare/{base}...{head}'],
        ['contents_url', '/contents/{+path}'],
        ['contributors_url', '/contributors'],
        ['deployments_url', '/deployments'],
        ['downloads_url', '/downloads'],
        ['events_url', '/events'],
        ['forks_url', '/forks'],
        ['git_commits_url', '/git/commits{/sha}'],
        ['git_refs_url', '/git/refs{/sha}'],
        ['git_tags_url', '/git/tags{/sha}'],
        ['hooks_url', '/hooks'],
        ['issue_comment_url', '/issues/comments{/number}'],
        ['issue_events_url', '/issues/events{/number}'],
        ['issues_url', '/issues{/number}'],
        ['keys_url', '/keys{/key_id}'],
        ['labels_url', '/labels{/name}'],
        ['languages_url', '/languages'],
        ['merges_url', '/merges'],
        ['milestones_url', '/milestones{/number}'],
        ['notifications_url', '/notifications{?since,all,participating}'],
        ['pulls_url', '/pulls{/number}'],
        ['releases_url', '/releases{/id}'],
        ['stargazers_url', '/stargazers'],
        ['statuses_url', '/statuses/{sha}'],
        ['subscribers_url', '/subscribers'],
        ['subscription_url', '/subscription'],
        ['tags_url', '/tags'],
        ['teams_url', '/teams'],
        ['trees_url', '/git/trees{/sha}'],
      ] as const
    ).map(([name, suffix]) => [name, `${api}${suffix}`]),
  );
  return {
    id,
    node_id: `R_${id}`,
    name: ctx.repo,
    full_name: full,
    private: true,
    owner: simpleUser(ctx.owner),
    html_url: html,
    description: null,
    fork: false,
    url: api,
    ...urls,
    created_at: created,
    updated_at: created,
    pushed_at: created,
    git_url: `git://github.com/${full}.git`,
    ssh_url: `git@github.com:${full}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 1024,
    stargazers_count: 0,
    watchers_count: 0,
    language: 'TypeScript',
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: 'main',
    visibility: 'private',
  };
}

/** A workflow as REST and the `workflow_run` webhook describe it. */
export function workflowJson(
  ctx: RepoContext,
  workflow: { file: string; name: string },
  id: number,
) {
  const path = `.github/workflows/${workflow.file}`;
  const html = `https://github.com/${ctx.owner}/${ctx.repo}`;
  return {
    id,
    node_id: `W_${id}`,
    name: workflow.name,
    path,
    state: 'active',
    created_at: '2025-01-06T09:00:00Z',
    updated_at: '2025-01-06T09:00:00Z',
    url: `${ctx.baseUrl}/repos/${ctx.owner}/${ctx.repo}/actions/workflows/${id}`,
    html_url: `${html}/blob/main/${path}`,
    badge_url: `${html}/workflows/${encodeURIComponent(workflow.name)}/badge.svg`,
  };
}

/** A run as `workflow-run` (REST) and the `workflow_run` webhook describe it. */
export function workflowRunJson(ctx: RepoContext, run: StoredRun, headCommit: SimCommit | null) {
  const api = `${ctx.baseUrl}/repos/${ctx.owner}/${ctx.repo}`;
  const runApi = `${api}/actions/runs/${run.id}`;
  const actor = simpleUser(SIM_ACTOR);
  const checkSuite = numericId(`check-suite:${run.id}`);
  const person = (name: string) => ({ name, email: `${name}@users.noreply.github.com` });
  return {
    ...run,
    name: run.name ?? null,
    node_id: `WFR_${run.id}`,
    run_attempt: run.run_attempt ?? 1,
    run_started_at: run.run_started_at ?? run.created_at,
    check_suite_id: checkSuite,
    check_suite_node_id: `CS_${checkSuite}`,
    check_suite_url: `${api}/check-suites/${checkSuite}`,
    jobs_url: `${runApi}/jobs`,
    logs_url: `${runApi}/logs`,
    cancel_url: `${runApi}/cancel`,
    rerun_url: `${runApi}/rerun`,
    artifacts_url: `${runApi}/artifacts`,
    workflow_url: `${api}/actions/workflows/${run.workflow_id}`,
    previous_attempt_url: null,
    pull_requests: [],
    referenced_workflows: [],
    actor,
    triggering_actor: actor,
    head_commit: headCommit && {
      id: headCommit.sha,
      tree_id: shaOf(`tree:${headCommit.sha}`),
      message: headCommit.message,
      timestamp: headCommit.date,
      author: person(headCommit.author),
      committer: person(headCommit.author),
    },
    repository: repositoryJson(ctx),
    head_repository: repositoryJson(ctx),
  };
}

/** A job as `job` (REST) and the `workflow_job` webhook describe it. */
export function workflowJobJson(ctx: RepoContext, job: StoredJob, headBranch: string | null) {
  const api = `${ctx.baseUrl}/repos/${ctx.owner}/${ctx.repo}`;
  const assigned = job.status !== 'queued' && job.status !== 'waiting';
  return {
    ...job,
    node_id: `CR_${job.id}`,
    url: `${api}/actions/jobs/${job.id}`,
    check_run_url: `${api}/check-runs/${job.id}`,
    created_at: job.created_at ?? job.started_at,
    workflow_name: job.workflow_name ?? null,
    head_branch: headBranch,
    run_attempt: 1,
    steps: (job.steps ?? []).map((step) => ({
      started_at: null,
      completed_at: null,
      ...step,
    })),
    // A hosted runner, once one picked the job up.
    runner_id: assigned ? 1 : null,
    runner_name: assigned ? 'GitHub Actions 1' : null,
    runner_group_id: assigned ? 1 : null,
    runner_group_name: assigned ? 'GitHub Actions' : null,
  };
}

function numericId(seed: string): number {
  return parseInt(shaOf(seed).slice(0, 7), 16);
}
