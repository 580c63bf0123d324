import { StaleDeploymentError } from '@chatops/persistence';
import { SYSTEM_ACTOR } from './deployment-auditor';
import { DeploymentCore } from './deployment-core';

/** Approval requests nobody decided in time, ended by the platform (run periodically). */
export class ApprovalExpiry extends DeploymentCore {
  /** Ends approval requests nobody decided in time (run periodically). */
  async expireApprovals(): Promise<number> {
    let expired = 0;
    for (const deployment of await this.repositories.deployments.listExpiredApprovals()) {
      try {
        await this.repositories.deployments.transition(
          deployment.id,
          'expired',
          {},
          'pending_approval',
        );
      } catch (error) {
        if (error instanceof StaleDeploymentError) continue;
        throw error;
      }
      expired++;
      await this.auditor.ended({ ...deployment, status: 'expired' }, 'expired', SYSTEM_ACTOR);
      this.notifier.changed(deployment.id);
    }
    return expired;
  }
}
