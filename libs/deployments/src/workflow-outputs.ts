import type { GithubRepository } from '@chatops/github';
import type { Deployment, DeploymentOutputs } from '@chatops/persistence';

/** What `.github/workflows/ami.yml` announces: `::notice title=AMI::ami-…`. */
const AMI_ANNOTATION_TITLE = 'AMI';
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/**
 * Reads what a successful workflow produced from its jobs' annotations: for an AMI build, the
 * image id (so its message names it and a later roll of the fleet can). Null when it said nothing.
 */
export function workflowOutputsFrom(
  github: Pick<GithubRepository, 'jobAnnotations' | 'listJobs'>,
): (deployment: Deployment) => Promise<DeploymentOutputs | null> {
  return async (deployment) => {
    if (deployment.kind !== 'ami-build' || !deployment.runId) return null;
    // The run's jobs as GitHub lists them: its webhooks may not all have arrived yet.
    for (const job of await github.listJobs(deployment.runId)) {
      const annotations = await github.jobAnnotations(job.id);
      const ami = annotations
        .filter((a) => a.title === AMI_ANNOTATION_TITLE && AMI_ID.test(a.message.trim()))
        .pop();
      if (ami) return { amiId: ami.message.trim() };
    }
    return null;
  };
}
