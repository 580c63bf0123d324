import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * The host runtime (deploy/compose.yaml) parsed and held to the rules the issue sets: restart
 * policies, health checks, memory limits, read-only root filesystems, secrets from files and never
 * in the environment or an image. No Docker engine runs here, so the rules are checked on the
 * parsed file; `composeProblems` is exercised on violating fixtures too, so no rule is vacuous.
 */
const ROOT = resolve(__dirname, '../../..');
const DEPLOY = join(ROOT, 'deploy');

interface Service {
  image?: string;
  restart?: string;
  read_only?: boolean;
  privileged?: boolean;
  profiles?: string[];
  security_opt?: string[];
  environment?: Record<string, string>;
  env_file?: string[];
  secrets?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  deploy?: { resources?: { limits?: { memory?: string } } };
}
interface Compose {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

function loadCompose(): Compose {
  // `merge: true` resolves the YAML merge keys (<<: *hardened) as compose does.
  return parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as Compose;
}

/** Service keys of the Compose Specification this file may use; anything else is a typo compose would reject. */
const SERVICE_KEYS = new Set([
  'image',
  'restart',
  'read_only',
  'privileged',
  'profiles',
  'security_opt',
  'cap_drop',
  'cap_add',
  'logging',
  'environment',
  'env_file',
  'secrets',
  'ports',
  'volumes',
  'tmpfs',
  'healthcheck',
  'deploy',
  'depends_on',
  'command',
  'entrypoint',
  'pid',
  'devices',
  'user',
  'networks',
  'stop_grace_period',
  'ulimits',
  'labels',
  'extra_hosts',
  'working_dir',
  'init',
]);

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|DATABASE_URL|CREDENTIALS?)$/;
/** Services whose image redeploy.sh sets (images.env); the rest must be pinned here. */
const DEPLOYED = new Set(['api', 'bot']);

function composeProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const declared = compose.secrets ?? {};
  for (const [name, secret] of Object.entries(declared)) {
    if (!secret.file?.startsWith('/run/chatops/secrets/'))
      problems.push(`secret ${name}: must be a file under /run/chatops/secrets (tmpfs)`);
  }
  for (const [name, service] of Object.entries(compose.services)) {
    const where = `service ${name}`;
    for (const key of Object.keys(service))
      if (!SERVICE_KEYS.has(key)) problems.push(`${where}: unknown key ${key}`);
    if (!['unless-stopped', 'always'].includes(service.restart ?? ''))
      problems.push(`${where}: restart must be unless-stopped or always`);
    if (!service.healthcheck?.test?.length || service.healthcheck.disable)
      problems.push(`${where}: needs a health check`);
    if (!/^\d+[MG]$/.test(service.deploy?.resources?.limits?.memory ?? ''))
      problems.push(`${where}: needs a memory limit (deploy.resources.limits.memory)`);
    if (service.read_only !== true) problems.push(`${where}: root filesystem must be read-only`);
    if (service.privileged) problems.push(`${where}: must not be privileged`);
    if (!service.security_opt?.includes('no-new-privileges:true'))
      problems.push(`${where}: needs no-new-privileges`);
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      const base = key.replace(/_{1,2}FILE$/, '');
      if (base !== key) {
        const secret = /^\/run\/secrets\/([a-z0-9_]+)$/.exec(String(value))?.[1];
        if (!secret || !service.secrets?.includes(secret) || !declared[secret])
          problems.push(
            `${where}: ${key} must name a secret the service mounts (/run/secrets/<name>)`,
          );
      } else if (SECRET_NAME.test(key)) {
        problems.push(`${where}: ${key} is a secret; pass it as ${key}_FILE`);
      }
    }
    for (const secret of service.secrets ?? [])
      if (!declared[secret]) problems.push(`${where}: secret ${secret} is not declared`);
    const image = service.image ?? '';
    if (DEPLOYED.has(name)) {
      const variable = `${name.toUpperCase().replace(/-/g, '_')}_IMAGE`;
      if (!image.startsWith(`\${${variable}`))
        problems.push(
          `${where}: image must come from \${${variable}} (images.env, set by redeploy.sh)`,
        );
    } else if (!/:v?\d+(\.\d+)+$/.test(image) && !/@sha256:[a-f0-9]{64}$/.test(image)) {
      problems.push(`${where}: image ${image || '(none)'} must be pinned to a version or digest`);
    }
    for (const port of service.ports ?? []) {
      const published = port.split(':');
      if (name !== 'api' && !(published.length === 3 && published[0] === '127.0.0.1'))
        problems.push(
          `${where}: port ${port} must be bound to 127.0.0.1 (only the API faces the load balancer)`,
        );
    }
  }
  return problems;
}

describe('deploy/compose.yaml', () => {
  const compose = loadCompose();

  it('runs the seven services of a host', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['alertmanager', 'api', 'bot', 'cadvisor', 'grafana', 'node-exporter', 'prometheus'].sort(),
    );
  });

  it('holds every rule: restart, health check, memory limit, read-only, secrets from files, pinned images', () => {
    expect(composeProblems(compose)).toEqual([]);
  });

  it('runs the bot and the monitoring stack on the control host only', () => {
    const profiles = Object.fromEntries(
      Object.entries(compose.services).map(([name, service]) => [name, service.profiles ?? []]),
    );
    expect(profiles).toEqual({
      api: [],
      'node-exporter': [],
      cadvisor: [],
      bot: ['control'],
      prometheus: ['control'],
      alertmanager: ['control'],
      grafana: ['control'],
    });
  });

  it('gives each app the secrets its configuration reads, as files', () => {
    const env = (name: string) => compose.services[name]?.environment ?? {};
    expect(
      Object.keys(env('api'))
        .filter((key) => key.endsWith('_FILE'))
        .sort(),
    ).toEqual([
      'ALERTMANAGER_WEBHOOK_TOKEN_FILE',
      'API_SERVICE_TOKEN_FILE',
      'DATABASE_URL_FILE',
      'DISCORD_TOKEN_FILE',
      'GITHUB_TOKEN_FILE',
      'GITHUB_WEBHOOK_SECRET_FILE',
    ]);
    expect(
      Object.keys(env('bot'))
        .filter((key) => key.endsWith('_FILE'))
        .sort(),
    ).toEqual(['API_SERVICE_TOKEN_FILE', 'DISCORD_TOKEN_FILE']);
    // alertmanager.yml reads its bearer token from the secret compose mounts.
    const alertmanager = readFileSync(join(DEPLOY, 'monitoring/alertmanager.yml'), 'utf8');
    expect(alertmanager).toContain('credentials_file: /run/secrets/alertmanager_webhook_token');
    expect(compose.services['alertmanager']?.secrets).toContain('alertmanager_webhook_token');
    // Its fallback receiver (the relay's own alerts, straight to Discord) reads its webhook URL
    // from a secret too.
    expect(alertmanager).toContain(
      'webhook_url_file: /run/secrets/alertmanager_fallback_webhook_url',
    );
    expect(compose.services['alertmanager']?.secrets).toContain(
      'alertmanager_fallback_webhook_url',
    );
  });

  it('declares exactly the secrets the SSM module creates, so the hosts can fill every file', () => {
    const ssmVariables = readFileSync(join(ROOT, 'infra/modules/ssm/variables.tf'), 'utf8');
    const block =
      /variable "secrets" \{[\s\S]*?default = \[([\s\S]*?)\]/.exec(ssmVariables)?.[1] ?? '';
    const terraformSecrets = [...block.matchAll(/"([a-z0-9_]+)"/g)].map((match) => match[1]);
    expect(terraformSecrets.length).toBeGreaterThan(0);
    expect(Object.keys(compose.secrets ?? {}).sort()).toEqual([...terraformSecrets].sort());
  });

  it('mounts configuration that exists in the repository', () => {
    const sources = Object.values(compose.services)
      .flatMap((service) => service.volumes ?? [])
      .map((volume) => volume.split(':')[0] ?? '')
      .filter((source) => source.startsWith('./'));
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      // chatops.config.yaml is installed beside compose.yaml from the repository root.
      const path =
        source === './chatops.config.yaml'
          ? join(ROOT, 'chatops.config.yaml')
          : join(DEPLOY, source);
      expect({ source, exists: existsSync(path) }).toEqual({ source, exists: true });
    }
  });

  describe('rejects a compose file that', () => {
    function violating(change: (compose: Compose) => void): string[] {
      const copy = loadCompose();
      change(copy);
      return composeProblems(copy);
    }
    const api = (compose: Compose): Service => compose.services['api'] as Service;
    const grafana = (compose: Compose): Service => compose.services['grafana'] as Service;

    it.each<[string, (compose: Compose) => void, string]>([
      [
        'has no restart policy',
        (c) => delete api(c).restart,
        'service api: restart must be unless-stopped or always',
      ],
      [
        'has no health check',
        (c) => delete api(c).healthcheck,
        'service api: needs a health check',
      ],
      [
        'misspells a key',
        (c) => {
          const service = api(c) as Service & Record<string, unknown>;
          service['tmpfss'] = service['tmpfs'];
          delete service['tmpfs'];
        },
        'service api: unknown key tmpfss',
      ],
      [
        'disables a health check',
        (c) => (api(c).healthcheck = { test: ['NONE'], disable: true }),
        'service api: needs a health check',
      ],
      [
        'has no memory limit',
        (c) => delete api(c).deploy,
        'service api: needs a memory limit (deploy.resources.limits.memory)',
      ],
      [
        'has a writable root filesystem',
        (c) => (api(c).read_only = false),
        'service api: root filesystem must be read-only',
      ],
      [
        'runs a privileged container',
        (c) => (grafana(c).privileged = true),
        'service grafana: must not be privileged',
      ],
      [
        'passes a secret in the environment',
        (c) => (api(c).environment = { ...api(c).environment, DISCORD_TOKEN: 'x' }),
        'service api: DISCORD_TOKEN is a secret; pass it as DISCORD_TOKEN_FILE',
      ],
      [
        'points a *_FILE variable at a secret it does not mount',
        (c) => (grafana(c).secrets = []),
        'service grafana: GF_SECURITY_ADMIN_PASSWORD__FILE must name a secret the service mounts (/run/secrets/<name>)',
      ],
      [
        'keeps a secret on disk',
        (c) => (c.secrets = { ...c.secrets, discord_token: { file: './secrets/discord_token' } }),
        'secret discord_token: must be a file under /run/chatops/secrets (tmpfs)',
      ],
      [
        'uses a floating image tag',
        (c) => (grafana(c).image = 'grafana/grafana-oss:latest'),
        'service grafana: image grafana/grafana-oss:latest must be pinned to a version or digest',
      ],
      [
        'bakes the API version into the file',
        (c) => (api(c).image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/chatops-api:v1'),
        'service api: image must come from ${API_IMAGE} (images.env, set by redeploy.sh)',
      ],
      [
        'publishes Prometheus on every interface',
        (c) => ((c.services['prometheus'] as Service).ports = ['9090:9090']),
        'service prometheus: port 9090:9090 must be bound to 127.0.0.1 (only the API faces the load balancer)',
      ],
    ])('%s', (_case, change, problem) => {
      expect(violating(change)).toEqual([problem]);
    });
  });
});
