import type { Actor, Catalog } from '@chatops/domain';
import type { GithubRepository } from '@chatops/github';
import type { Deployment } from '@chatops/persistence';
import { ApprovalExpiry } from './approval-expiry';
import {
  ApprovalOutcome,
  CancelOutcome,
  DeploymentRepos,
  DeploymentServiceOptions,
  RequestOutcome,
} from './deployment-core';
import { DeploymentDecisions } from './deployment-decisions';
import type { DeploymentRequest } from './deployment-request';
import { DeploymentRequests } from './deployment-requests';
import { HumanLocks } from './human-locks';
import type { DeploymentNotifier } from './notifier';

export * from './deployment-core';

/**
 * The deploy core as the API calls it: requests (DeploymentRequests), decisions on them
 * (DeploymentDecisions) and the expiry of approvals nobody gave (ApprovalExpiry), over one set
 * of dependencies.
 */
export class DeploymentService {
  private readonly requests: DeploymentRequests;
  private readonly decisions: DeploymentDecisions;
  private readonly expiry: ApprovalExpiry;
  /** `/lock` and `/unlock`: what every deploy, redeploy and rollback here is checked against. */
  readonly locks: HumanLocks;

  constructor(
    catalog: Catalog,
    repositories: DeploymentRepos,
    /** Null when no GitHub credentials are configured: workflow requests answer 503. */
    github: GithubRepository | null,
    notifier: DeploymentNotifier,
    options: DeploymentServiceOptions = {},
  ) {
    this.requests = new DeploymentRequests(catalog, repositories, github, notifier, options);
    this.decisions = new DeploymentDecisions(catalog, repositories, github, notifier, options);
    this.expiry = new ApprovalExpiry(catalog, repositories, github, notifier, options);
    this.locks = new HumanLocks(catalog, repositories);
  }

  request(request: DeploymentRequest): Promise<RequestOutcome> {
    return this.requests.request(request);
  }

  /** A failed bake's automatic rollback (see DeploymentRequests.rollbackAfterBake). */
  rollbackAfterBake(deployment: Deployment): Promise<RequestOutcome> {
    return this.requests.rollbackAfterBake(deployment);
  }

  approve(id: string, who: Actor): Promise<ApprovalOutcome> {
    return this.decisions.approve(id, who);
  }

  reject(id: string, who: Actor): Promise<Deployment> {
    return this.decisions.reject(id, who);
  }

  cancel(id: string, who: Actor): Promise<CancelOutcome> {
    return this.decisions.cancel(id, who);
  }

  /** Keep on `/rollback`'s confirmation: nothing changes; the confirmation is spent. */
  keep(confirmationId: string, who: Actor): Promise<void> {
    return this.decisions.keep(confirmationId, who);
  }

  /** Ends approval requests nobody decided in time (run periodically). */
  expireApprovals(): Promise<number> {
    return this.expiry.expireApprovals();
  }

  /** Recent deployments, newest first. */
  list(filter: { service?: string; environment?: string; limit?: number }): Promise<Deployment[]> {
    return this.requests.list(filter);
  }

  find(id: string): Promise<Deployment> {
    return this.requests.find(id);
  }
}
