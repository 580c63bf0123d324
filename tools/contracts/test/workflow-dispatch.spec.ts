import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadCatalog } from '@chatops/config';
import { DEFAULT_WORKFLOWS } from '@chatops/github-sim';
import { planRequest } from '@chatops/deployments';
import { ROLLOUT_STEP } from '@chatops/discord-ui';

/** The workflows the API dispatches accept exactly what it sends and name runs by request id. */
const ROOT = resolve(__dirname, '../../..');

interface Workflow {
  'run-name'?: string;
  on: { workflow_dispatch?: { inputs: Record<string, unknown> } };
  jobs: Record<string, { steps?: { name?: string }[] }>;
}

/** The run-name ends with `[<request id>]` (plainly, or as the bracketed argument of format()). */
function runNameCarriesRequestId(runName: string): boolean {
  if (/\[\$\{\{ inputs\.request_id \}\}\]$/.test(runName)) return true;
  const format = /format\('[^']*\[\{(\d)\}\]',((?:\s*[\w.]+,?)+)\)/.exec(runName);
  if (!format) return false;
  const args = format[2]!.split(',').map((a) => a.trim());
  return args[Number(format[1])] === 'inputs.request_id';
}

const load = (file: string) =>
  parse(readFileSync(join(ROOT, '.github/workflows', file), 'utf8')) as Workflow;

describe('the dispatch contract with .github/workflows', () => {
  it('dispatches with exactly the inputs the API sends, and names runs by request id', () => {
    const catalog = loadCatalog(join(ROOT, 'chatops.config.yaml'));
    const requests = [
      {
        kind: 'deploy' as const,
        service: catalog.services[0]!.name,
        environment: 'staging',
        ref: 'main',
      },
      { kind: 'infra-plan' as const, environment: 'staging' },
      { kind: 'ami-build' as const },
    ];
    for (const request of requests) {
      const { plan } = planRequest(catalog, {
        ...request,
        requestId: 'req-1',
        actor: { id: '1', name: 'a' },
        roles: { ids: [] },
      });
      expect(plan).not.toBeNull();
      const workflow = load(plan!.workflow);
      const inputs = workflow.on.workflow_dispatch?.inputs ?? {};
      expect(Object.keys(inputs).sort()).toEqual(Object.keys(plan!.inputs).sort());
      expect(runNameCarriesRequestId(workflow['run-name'] ?? '')).toBe(true);
    }
  });

  it('is what the GitHub stand-in simulates: same inputs, jobs, and steps named as in the file', () => {
    for (const simulated of DEFAULT_WORKFLOWS) {
      const workflow = load(simulated.file);
      expect(simulated.inputs.sort()).toEqual(
        Object.keys(workflow.on.workflow_dispatch?.inputs ?? {}).sort(),
      );
      expect(simulated.jobs.map((j) => j.name)).toEqual(Object.keys(workflow.jobs));
      for (const job of simulated.jobs) {
        // GitHub adds "Set up job"; the stand-in runs a subset of the steps, in the file's order.
        const named = (workflow.jobs[job.name]?.steps ?? []).map((s) => s.name);
        const simulatedSteps = job.steps.filter((s) => s !== 'Set up job');
        const positions = simulatedSteps.map((s) => named.indexOf(s));
        expect({ job: job.name, positions }).toEqual({
          job: job.name,
          positions: [...positions].sort((a, b) => a - b).map((p) => Math.max(p, 0)),
        });
      }
    }
  });

  it('recognises a run-name that drops the request id', () => {
    expect(runNameCarriesRequestId('Deploy ${{ inputs.service }}')).toBe(false);
    expect(runNameCarriesRequestId("${{ format('Build AMI [{0}]', inputs.ref) }}")).toBe(false);
    expect(runNameCarriesRequestId("${{ format('Build AMI [{0}]', inputs.request_id) }}")).toBe(
      true,
    );
  });
});

describe('the deploy workflow and the progress message', () => {
  it('knows the step that rolls out to the hosts by its name', () => {
    const workflow = readFileSync(join(ROOT, '.github/workflows/deploy.yml'), 'utf8');
    expect(workflow).toContain(`- name: ${ROLLOUT_STEP}\n`);
  });
});
