import { parsePlanSummary } from '@chatops/domain';
import type { GithubRepository } from '@chatops/github';
import type { Deployment, DeploymentOutputs } from '@chatops/persistence';

/** What `.github/workflows/ami.yml` announces: `::notice title=AMI::ami-…`. */
const AMI_ANNOTATION_TITLE = 'AMI';
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;
/** What `.github/workflows/infra.yml`'s plan job announces: `::notice title=Plan::{json}`. */
const PLAN_ANNOTATION_TITLE = 'Plan';

/**
 * Reads what a successful workflow produced from its jobs' annotations: an AMI build's image id
 * (so its message names it and a later roll of the fleet can), an infra plan's summary (what an
 * apply of it changes). Null when it said nothing.
 */
export function workflowOutputsFrom(
  github: Pick<GithubRepository, 'jobAnnotations' | 'listJobs'>,
): (deployment: Deployment) => Promise<DeploymentOutputs | null> {
  return async (deployment) => {
    const wanted =
      deployment.kind === 'ami-build'
        ? 'ami'
        : deployment.kind === 'infra-plan' || deployment.kind === 'infra-destroy'
          ? 'plan'
          : null;
    if (!wanted || !deployment.runId) return null;
    // The run's jobs as GitHub lists them: its webhooks may not all have arrived yet.
    for (const job of await github.listJobs(deployment.runId)) {
      if (job.conclusion === 'skipped') continue;
      const annotations = await github.jobAnnotations(job.id);
      if (wanted === 'ami') {
        const ami = annotations
          .filter((a) => a.title === AMI_ANNOTATION_TITLE && AMI_ID.test(a.message.trim()))
          .pop();
        if (ami) return { amiId: ami.message.trim() };
      } else {
        const plan = annotations
          .filter((a) => a.title === PLAN_ANNOTATION_TITLE)
          .map((a) => parsePlanSummary(a.message))
          .filter((p) => p !== null)
          .pop();
        if (plan) return { plan };
      }
    }
    return null;
  };
}
