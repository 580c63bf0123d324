import {
  COMPARE_COMMITS_SHOWN,
  CommitSummary,
  DeploymentChange,
  DeploymentKind,
  isCommitSha,
} from '@chatops/domain';
import type { GithubRepository } from '@chatops/github';
import type { Repositories } from '@chatops/persistence';
import type { FleetExecutor } from './fleet-executor';

export interface ChangeRequest {
  kind: DeploymentKind;
  service: string;
  environment: string;
  /** What will run: a deploy's ref, a redeploy's or rollback's image version. */
  target: string;
  /** The desired version it replaces, when the request already knows it (fleet kinds). */
  current?: string | null;
}

/** What a request waits for GitHub at most before it goes on without the change told. */
const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Tells what a deploy, redeploy or rollback changes: the target commit, what runs there now and
 * GitHub's compare between them. Best effort: the request never fails because GitHub could not
 * say; `unavailable` says why the message shows less.
 */
export class ChangeDescriber {
  constructor(
    private readonly github: GithubRepository | null,
    private readonly fleet: FleetExecutor | null,
    private readonly repositories: Pick<Repositories, 'deployments'>,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  async describe(request: ChangeRequest): Promise<DeploymentChange | null> {
    if (!['deploy', 'redeploy', 'rollback'].includes(request.kind)) return null;
    if (!this.github) return null;
    const github = this.github;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`GitHub did not answer within ${this.timeoutMs / 1000} s`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([this.tell(github, request), timeout]);
    } catch (error) {
      return {
        target: null,
        current: null,
        compare: null,
        unavailable: `what changes could not be read: ${(error as Error).message}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  private async tell(github: GithubRepository, request: ChangeRequest): Promise<DeploymentChange> {
    const currentVersion =
      request.current !== undefined ? request.current : await this.runningVersion(request);
    const [target, currentCommit] = await Promise.all([
      github.getCommit(request.target),
      currentVersion ? commitOf(github, currentVersion) : Promise.resolve(null),
    ]);
    const current = currentVersion ? { version: currentVersion, commit: currentCommit } : null;
    const problems: string[] = [];
    if (!target) problems.push(`\`${request.target}\` names no commit in the repository`);
    if (currentVersion && !currentCommit)
      problems.push(`the running version \`${currentVersion}\` names no commit in the repository`);
    const compare =
      target && currentCommit
        ? await github.compareCommits(currentCommit.sha, target.sha, COMPARE_COMMITS_SHOWN)
        : null;
    return {
      target,
      current,
      compare,
      unavailable: problems.length ? problems.join('; ') : null,
    };
  }

  /**
   * What runs in the environment: the desired version in Parameter Store, or, without AWS, the
   * image of the last deploy that succeeded there.
   */
  private async runningVersion(request: ChangeRequest): Promise<string | null> {
    if (this.fleet) {
      const record = await this.fleet.currentVersion(request.service, request.environment);
      return record?.value ?? null;
    }
    const recent = await this.repositories.deployments.listRecent({
      service: request.service,
      environment: request.environment,
      limit: 50,
    });
    const last = recent.find((d) => d.status === 'succeeded');
    return last ? (last.version ?? last.imageTag ?? last.headSha ?? null) : null;
  }
}

/** The commit a version was built from: image tags are commit SHAs; other tags are refs. */
async function commitOf(github: GithubRepository, version: string): Promise<CommitSummary | null> {
  if (!isCommitSha(version) && !/^[A-Za-z0-9._/-]{1,100}$/.test(version)) return null;
  return github.getCommit(version);
}
