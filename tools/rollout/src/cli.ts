import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AwsError, AwsFleetRepository } from '@chatops/aws-fleet';
import { ConfigError, DEFAULT_CATALOG_PATH, loadCatalog } from '@chatops/config';
import {
  type Fleet,
  redeploy,
  RolloutError,
  rolloutTarget,
  setDesiredVersion,
  smokeTest,
} from './rollout';

export const USAGE = `Usage: rollout <command> --service <name> --environment <name> [options]

Commands (each checks the names against the catalog first):
  describe      print repository=, parameter=, document=, health_url= (for $GITHUB_OUTPUT)
  set-version   --image-tag <tag>: record the desired version in Parameter Store
  redeploy      --image-tag <tag>: send the redeploy document to the hosts and wait for it
  smoke-test    GET the service's health URL until it answers 2xx [--attempts 10] [--interval-ms 6000]

Options: --catalog <path> (default $CATALOG_PATH or ${DEFAULT_CATALOG_PATH}), --comment <text>.
AWS: the SDK's credentials (the workflow's OIDC role), AWS_REGION, AWS_ENDPOINT_URL (a stand-in).
Exit codes: 0 done, 1 the rollout failed, 2 bad arguments or names.`;

export interface CliIo {
  out: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Tests pass the fleet; otherwise it is built from AWS_REGION and the SDK's credentials. */
  fleet?: Fleet;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs one command; returns the exit code. Never throws. */
export async function runRollout(argv: string[], io: CliIo): Promise<number> {
  const inActions = io.env['GITHUB_ACTIONS'] === 'true';
  const fail = (code: number, message: string, details: string[] = []) => {
    io.out(inActions ? `::error title=rollout::${escapeCommandData(message)}\n` : `${message}\n`);
    if (details.length) {
      // Host output is not ours: stop Actions from reading workflow commands in it.
      const token = randomBytes(16).toString('hex');
      if (inActions) io.out(`::stop-commands::${token}\n`);
      io.out(`${details.join('\n')}\n`);
      if (inActions) io.out(`::${token}::\n`);
    }
    return code;
  };

  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        service: { type: 'string' },
        environment: { type: 'string' },
        'image-tag': { type: 'string' },
        catalog: { type: 'string' },
        comment: { type: 'string' },
        attempts: { type: 'string' },
        'interval-ms': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    return fail(2, `${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const command = positionals[0] ?? '';
  const commands = ['describe', 'set-version', 'redeploy', 'smoke-test'];
  const problems: string[] = [];
  if (!commands.includes(command) || positionals.length !== 1)
    problems.push(`give one command: ${commands.join(', ')}`);
  if (!values.service) problems.push('--service is required');
  if (!values.environment) problems.push('--environment is required');
  if ((command === 'set-version' || command === 'redeploy') && !values['image-tag'])
    problems.push(`--image-tag is required for ${command}`);
  const attempts = Number(values.attempts ?? '10');
  const intervalMs = Number(values['interval-ms'] ?? '6000');
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100)
    problems.push('--attempts must be a whole number from 1 to 100');
  if (!Number.isInteger(intervalMs) || intervalMs < 0 || intervalMs > 600_000)
    problems.push('--interval-ms must be a whole number of milliseconds up to 600000');
  if (problems.length) return fail(2, `${problems.join('; ')}\n\n${USAGE}`);

  const log = (line: string) => io.out(`${line}\n`);
  try {
    const catalog = loadCatalog(values.catalog ?? io.env['CATALOG_PATH'] ?? DEFAULT_CATALOG_PATH);
    const target = rolloutTarget(catalog, values.service ?? '', values.environment ?? '');
    const imageTag = values['image-tag'] ?? '';
    switch (command) {
      case 'describe':
        log(
          [
            `repository=${target.repository}`,
            `parameter=${target.parameterName}`,
            `document=${target.document}`,
            `health_url=${target.healthUrl}`,
          ].join('\n'),
        );
        return 0;
      case 'set-version':
        await setDesiredVersion(fleetOf(io), target, imageTag, log);
        return 0;
      case 'redeploy': {
        const results = await redeploy(fleetOf(io), target, imageTag, {
          log,
          ...(values.comment ? { comment: values.comment.slice(0, 100) } : {}),
        });
        summary(io, [
          `### ${target.service} ${imageTag} on ${target.environment}`,
          '',
          '| host | status | started | finished |',
          '| --- | --- | --- | --- |',
          ...results.map(
            (r) =>
              `| ${r.instanceId} | ${r.status} | ${r.startedAt ?? ''} | ${r.finishedAt ?? ''} |`,
          ),
        ]);
        return 0;
      }
      default:
        await smokeTest(target.healthUrl, {
          log,
          attempts,
          intervalMs,
          ...(io.fetch ? { fetch: io.fetch } : {}),
          ...(io.sleep ? { sleep: io.sleep } : {}),
        });
        summary(io, [`Smoke test: ${target.healthUrl} answered 2xx.`]);
        return 0;
    }
  } catch (error) {
    if (error instanceof ConfigError) return fail(2, error.message);
    if (error instanceof RolloutError)
      return fail(/is not in the catalog|image tag:/.test(error.message) ? 2 : 1, error.message, [
        ...error.details,
      ]);
    if (error instanceof AwsError) return fail(1, error.message);
    return fail(1, `rollout failed: ${(error as Error).message}`);
  }
}

function fleetOf(io: CliIo): Fleet {
  if (io.fleet) return io.fleet;
  const region = io.env['AWS_REGION'] ?? io.env['AWS_DEFAULT_REGION'];
  if (!region) throw new RolloutError('AWS_REGION is not set (configure-aws-credentials sets it)');
  return AwsFleetRepository.create({
    region,
    ...(io.env['AWS_ENDPOINT_URL'] ? { endpoint: io.env['AWS_ENDPOINT_URL'] } : {}),
  });
}

/** Markdown for the run's summary page, when Actions gives us one. */
function summary(io: CliIo, lines: string[]): void {
  const file = io.env['GITHUB_STEP_SUMMARY'];
  if (file) appendFileSync(file, `${lines.join('\n')}\n`);
}

/** Workflow command data: %, CR and LF escaped so a message stays one annotation. */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
