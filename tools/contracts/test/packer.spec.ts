import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/**
 * packer/docker-host.pkr.hcl parsed (hcl2json: HCL to JSON, expressions kept as "${…}" strings)
 * and held to what the issue and infra/modules/docker-host need: a base image filtered by its
 * owner's account id, IMDSv2 during the build and for the hosts, encrypted volumes, a timestamped
 * name with the prefix Terraform looks up, the tags it filters on, and provisioning that installs
 * what the hosts run. `templateProblems` also runs on violating copies, so no rule is vacuous.
 */
const ROOT = resolve(__dirname, '../../..');
const PACKER = join(ROOT, 'packer');
const TEMPLATE = join(PACKER, 'docker-host.pkr.hcl');

type Json = Record<string, unknown>;
interface Template {
  variable: Record<string, [{ default?: unknown }]>;
  locals: [Record<string, unknown>];
  source: { 'amazon-ebs': Record<string, [Json]> };
  /** hcl2json groups provisioners by type (their order within a type is kept). */
  build: [{ sources: string[]; provisioner: Record<string, Json[]> }];
}

async function loadTemplate(): Promise<Template> {
  return (await parse(TEMPLATE, readFileSync(TEMPLATE, 'utf8'))) as unknown as Template;
}

const one = <T>(value: T | T[] | undefined): T | undefined =>
  Array.isArray(value) ? value[0] : value;

/** Resolves "${var.x}" to the variable's default and "${local.y}" to the local's expression. */
function resolveRef(template: Template, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const variable = /^\$\{var\.([a-z_]+)\}$/.exec(value)?.[1];
  if (variable) return template.variable[variable]?.[0]?.default;
  const local = /^\$\{local\.([a-z_]+)\}$/.exec(value)?.[1];
  if (local) return resolveRef(template, template.locals[0][local]);
  return value;
}

function templateProblems(template: Template): string[] {
  const problems: string[] = [];
  const sources = Object.entries(template.source?.['amazon-ebs'] ?? {});
  if (sources.length === 0) problems.push('no amazon-ebs source');
  for (const [name, [source]] of sources) {
    const where = `source ${name}`;
    const filter = one(source['source_ami_filter'] as Json[]) ?? {};
    const owners =
      (filter['owners'] as unknown[] | undefined)?.map((owner) => resolveRef(template, owner)) ??
      [];
    if (
      owners.length === 0 ||
      !owners.every((owner) => typeof owner === 'string' && /^\d{12}$/.test(owner))
    )
      problems.push(`${where}: the base image must be filtered by its owner's 12-digit account id`);
    if (filter['most_recent'] !== true)
      problems.push(`${where}: the base image must be the most recent`);

    const metadata = one(source['metadata_options'] as Json[]) ?? {};
    if (metadata['http_tokens'] !== 'required')
      problems.push(`${where}: the build must require IMDSv2`);
    if (source['imds_support'] !== 'v2.0')
      problems.push(`${where}: the AMI must default to IMDSv2 (imds_support)`);

    if (source['encrypt_boot'] !== true)
      problems.push(`${where}: the AMI must be encrypted (encrypt_boot)`);
    const devices = (source['launch_block_device_mappings'] as Json[] | undefined) ?? [];
    if (devices.length === 0 || devices.some((device) => device['encrypted'] !== true))
      problems.push(`${where}: every build volume must be encrypted`);

    const amiName = String(resolveRef(template, source['ami_name']) ?? '');
    const timestamp = String(template.locals[0]['timestamp'] ?? '');
    if (
      !amiName.startsWith('${var.project}-docker-host-') ||
      !amiName.includes('${local.timestamp}')
    )
      problems.push(`${where}: the AMI name must be <project>-docker-host-<timestamp>`);
    if (!/formatdate\(.*timestamp\(\)\)/.test(timestamp))
      problems.push(`${where}: the timestamp must come from timestamp()`);

    const tags = (resolveRef(template, source['tags']) ?? {}) as Json;
    if (tags['Project'] !== '${var.project}' || tags['Role'] !== 'docker-host')
      problems.push(
        `${where}: the AMI needs the tags Terraform filters on (Project, Role = docker-host)`,
      );
    const runTags = (source['run_tags'] ?? {}) as Json;
    if (runTags['Role'] === 'docker-host')
      problems.push(
        `${where}: the build instance must not look like a Docker host (Role) to redeploy commands`,
      );
  }
  return problems;
}

describe('packer/docker-host.pkr.hcl', () => {
  let template: Template;
  beforeAll(async () => {
    template = await loadTemplate();
  });

  it('holds every rule: owner-filtered base, IMDSv2, encryption, timestamped name, the tags Terraform looks up', () => {
    expect(templateProblems(template)).toEqual([]);
  });

  it("builds from Canonical's Ubuntu 24.04 images", () => {
    const source = template.source['amazon-ebs']['docker_host']?.[0] ?? {};
    const filter = one(source['source_ami_filter'] as Json[]) ?? {};
    expect(template.variable['source_ami_owner']?.[0]?.default).toBe('099720109477');
    expect((filter['filters'] as Json)['name']).toMatch(
      /^ubuntu\/images\/hvm-ssd-gp3\/ubuntu-noble-24\.04-amd64-server-/,
    );
  });

  it('names AMIs with the prefix and tags infra/modules/docker-host filters on', () => {
    const module = readFileSync(join(ROOT, 'infra/modules/docker-host/main.tf'), 'utf8');
    expect(module).toContain('"${var.project}-docker-host-"');
    expect(module).toMatch(/name\s+= "tag:Project"/);
    expect(module).toMatch(/name\s+= "tag:Role"\s+values = \["docker-host"\]/);
    expect(template.locals[0]['ami_name']).toBe('${var.project}-docker-host-${local.timestamp}');
  });

  it('provisions Docker with compose, the SSM agent, the AWS CLI, the host runtime and hardening', () => {
    const scripts = (template.build[0].provisioner['shell'] ?? [])
      .flatMap((shell) => (shell['scripts'] as string[] | undefined) ?? [])
      .map((path) => path.replace('${path.root}/', ''));
    expect(scripts).toEqual([
      'scripts/base.sh',
      'scripts/docker.sh',
      'scripts/aws.sh',
      'scripts/chatops.sh',
      'scripts/harden.sh',
      'scripts/cleanup.sh',
    ]);
    const text = (script: string) => readFileSync(join(PACKER, script), 'utf8');
    expect(text('scripts/docker.sh')).toMatch(/docker-ce .*docker-compose-plugin/);
    expect(text('scripts/docker.sh')).toContain('DOCKER_KEY_FINGERPRINT=');
    expect(text('scripts/aws.sh')).toContain('snap install amazon-ssm-agent');
    expect(text('scripts/aws.sh')).toContain('snap install aws-cli');
    expect(text('scripts/harden.sh')).toContain('systemctl mask ssh.service ssh.socket');
    // Every unit the host runtime has is installed and enabled.
    const units = [
      'chatops.target',
      'chatops-settings.service',
      'chatops-converge.service',
      'chatops-stack.service',
    ];
    for (const unit of units)
      expect(existsSync(join(ROOT, 'deploy/host/systemd', unit))).toBe(true);
    expect(text('scripts/chatops.sh')).toContain(`systemctl enable ${units.join(' ')}`);
  });

  it('uploads files that exist in the repository', () => {
    const uploads = (template.build[0].provisioner['file'] ?? [])
      .flatMap((file) => [
        ...((file['sources'] as string[] | undefined) ?? []),
        ...(file['source'] ? [file['source'] as string] : []),
      ])
      .map((path) => path.replace('${path.root}', PACKER));
    expect(uploads.length).toBeGreaterThan(3);
    for (const path of uploads)
      expect({ path, exists: existsSync(path) }).toEqual({ path, exists: true });
  });

  describe('rejects a template that', () => {
    async function violating(
      change: (source: Json, template: Template) => void,
    ): Promise<string[]> {
      const copy = await loadTemplate();
      change(copy.source['amazon-ebs']['docker_host']?.[0] as Json, copy);
      return templateProblems(copy);
    }
    const filter = (source: Json) => (source['source_ami_filter'] as Json[])[0] as Json;

    it.each<[string, (source: Json, template: Template) => void, string]>([
      [
        'takes the base image from any owner',
        (s) => (filter(s)['owners'] = ['amazon']),
        "source docker_host: the base image must be filtered by its owner's 12-digit account id",
      ],
      [
        'lets the build use IMDSv1',
        (s) => (s['metadata_options'] = [{ http_tokens: 'optional' }]),
        'source docker_host: the build must require IMDSv2',
      ],
      [
        'registers an AMI allowing IMDSv1',
        (s) => delete s['imds_support'],
        'source docker_host: the AMI must default to IMDSv2 (imds_support)',
      ],
      [
        'leaves the AMI unencrypted',
        (s) => (s['encrypt_boot'] = false),
        'source docker_host: the AMI must be encrypted (encrypt_boot)',
      ],
      [
        'builds on an unencrypted volume',
        (s) =>
          (s['launch_block_device_mappings'] = [{ device_name: '/dev/sda1', encrypted: false }]),
        'source docker_host: every build volume must be encrypted',
      ],
      [
        'names the AMI without a timestamp',
        (_s, t) => (t.locals[0]['ami_name'] = '${var.project}-docker-host'),
        'source docker_host: the AMI name must be <project>-docker-host-<timestamp>',
      ],
      [
        'drops the Role tag',
        (_s, t) => (t.locals[0]['tags'] = { Project: '${var.project}' }),
        'source docker_host: the AMI needs the tags Terraform filters on (Project, Role = docker-host)',
      ],
      [
        'tags the build instance as a Docker host',
        (s) => (s['run_tags'] = { Role: 'docker-host' }),
        'source docker_host: the build instance must not look like a Docker host (Role) to redeploy commands',
      ],
    ])('%s', async (_case, change, problem) => {
      expect(await violating(change)).toEqual([problem]);
    });
  });
});
