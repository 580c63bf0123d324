import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REDEPLOY_PARAMETERS } from '@chatops/aws-sim';
import { IMAGE_VERSION_PATTERN } from '@chatops/domain';

/**
 * One pattern per value on the way to a host: what the API accepts (domain), what the SSM
 * document Terraform creates lets through (allowedPattern), what the host script checks, and
 * what the AWS stand-in holds callers to.
 */
const ROOT = resolve(__dirname, '../../..');
const document = JSON.parse(
  readFileSync(join(ROOT, 'infra/modules/ssm/documents/redeploy.json'), 'utf8'),
) as { parameters: Record<string, { allowedPattern?: string; default?: string }> };
const script = readFileSync(join(ROOT, 'deploy/host/bin/redeploy.sh'), 'utf8');
const scriptPattern = (name: string) =>
  new RegExp(`^readonly ${name}='(.+)'$`, 'm').exec(script)?.[1];

describe('the redeploy contract between the API, the SSM document and the host script', () => {
  it("the image version pattern is the document's allowedPattern, whose service pattern is the script's", () => {
    expect(document.parameters['imageTag']?.allowedPattern).toBe(IMAGE_VERSION_PATTERN.source);
    expect(document.parameters['service']?.allowedPattern).toBe(scriptPattern('SERVICE_PATTERN'));
  });

  it('the image version pattern is the very pattern the host script checks', () => {
    expect(scriptPattern('TAG_PATTERN')).toBe(IMAGE_VERSION_PATTERN.source);
  });

  it("the AWS stand-in checks the required parameters with the document's allowedPattern", () => {
    const required = Object.entries(document.parameters).filter(
      ([, spec]) => spec.default === undefined,
    );
    expect(Object.fromEntries(required.map(([name, spec]) => [name, spec.allowedPattern]))).toEqual(
      Object.fromEntries(
        Object.entries(REDEPLOY_PARAMETERS).map(([name, pattern]) => [name, pattern.source]),
      ),
    );
  });
});
