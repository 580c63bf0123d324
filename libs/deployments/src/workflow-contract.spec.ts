import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadCatalog } from '@chatops/config';
import { DEFAULT_WORKFLOWS } from '@chatops/github-sim';
import { planRequest } from './deployment-request';

/** The workflows the API dispatches accept exactly what it sends and name runs by request id. */
const ROOT = resolve(__dirname, '../../..');

interface Workflow {
  'run-name'?: string;
  on: { workflow_dispatch?: { inputs: Record<string, unknown> } };
  jobs: Record<string, unknown>;
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
      expect(workflow['run-name']).toMatch(/\[\$\{\{ inputs\.request_id \}\}\]$/);
    }
  });

  it('is what the GitHub stand-in simulates: same inputs and jobs', () => {
    for (const simulated of DEFAULT_WORKFLOWS) {
      const workflow = load(simulated.file);
      expect(simulated.inputs.sort()).toEqual(
        Object.keys(workflow.on.workflow_dispatch?.inputs ?? {}).sort(),
      );
      expect(simulated.jobs.map((j) => j.name)).toEqual(Object.keys(workflow.jobs));
    }
  });
});
