import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { RunningProcess, startProcess, waitForHttp } from './process';

export interface MonitoringServer {
  url: string;
  port: number;
  /** Its working directory: configuration, data, and any file written with `writeFile`. */
  dir: string;
  process: RunningProcess;
  stop(): Promise<void>;
}

/** Debian installs Alertmanager as prometheus-alertmanager; upstream as alertmanager. */
export const ALERTMANAGER_BINARIES = ['prometheus-alertmanager', 'alertmanager'];

async function startServer(
  name: string,
  binaries: string[],
  args: (dir: string, port: number) => string[],
  files: Record<string, string>,
  readyPath: string,
  fixedPort?: number,
): Promise<MonitoringServer> {
  const dir = mkdtempSync(join(tmpdir(), `chatops-${name}-`));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const port = fixedPort ?? (await freePort());
  let lastOutput = '';
  for (const binary of binaries) {
    const proc = startProcess(binary, args(dir, port), {}, { cwd: dir });
    try {
      await waitForHttp(`http://127.0.0.1:${port}${readyPath}`, {
        process: proc,
        timeoutMs: 30_000,
      });
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        dir,
        process: proc,
        stop: async () => {
          await proc.stop();
        },
      };
    } catch (error) {
      await proc.stop('SIGKILL');
      lastOutput = (error as Error).message;
      if (!proc.output().includes('not installed')) throw error;
    }
  }
  throw new Error(
    `${name} is not installed (tried ${binaries.join(', ')}): apt-get install ${
      name === 'alertmanager' ? 'prometheus-alertmanager' : 'prometheus'
    } (.ci/run installs it)\n${lastOutput}`,
  );
}

/**
 * A real Alertmanager on a loopback port with this configuration (clustering off). `dataDir`
 * keeps its silences and notification log across restarts (written every `maintenanceInterval`
 * and on shutdown); by default they live in a temporary directory. `port`: listen there (a
 * restart where Prometheus already sends).
 */
export function startAlertmanager(
  config: string,
  files: Record<string, string> = {},
  storage: { dataDir?: string; maintenanceInterval?: string; port?: number } = {},
): Promise<MonitoringServer> {
  return startServer(
    'alertmanager',
    ALERTMANAGER_BINARIES,
    (dir, port) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${storage.dataDir ?? join(dir, 'data')}`,
      ...(storage.maintenanceInterval
        ? [`--data.maintenance-interval=${storage.maintenanceInterval}`]
        : []),
      `--web.listen-address=127.0.0.1:${port}`,
      // Links in notifications (the alert message's Alertmanager button) point where it listens.
      `--web.external-url=http://127.0.0.1:${port}/`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { ...files, 'alertmanager.yml': config },
    '/-/ready',
    storage.port,
  );
}

/** A real Prometheus on a loopback port; `files` are written beside prometheus.yml (rules). */
export function startPrometheus(
  config: string,
  files: Record<string, string> = {},
): Promise<MonitoringServer> {
  return startServer(
    'prometheus',
    ['prometheus'],
    (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=expand-external-labels',
      // Firing alerts are sent again every second (default 1 m): a restarted Alertmanager hears
      // of them at once.
      '--rules.alert.resend-delay=1s',
      '--log.level=warn',
    ],
    { ...files, 'prometheus.yml': config },
    '/-/ready',
  );
}

/**
 * The repository's alertmanager.yml, pointed at a local API and with short timings: what the
 * end-to-end test and the sandbox run. Routing, grouping and inhibitions stay as they are; the
 * fallback receiver (Alertmanager's own discord_configs) posts to `fallbackWebhookUrl` (inline:
 * Debian's Alertmanager 0.25 has no webhook_url_file).
 */
export function alertmanagerOverlay(
  config: string,
  options: {
    webhookUrl: string;
    tokenFile: string;
    fallbackWebhookUrl: string;
    groupWait?: string;
    groupInterval?: string;
  },
): string {
  const doc = parse(config) as {
    route: Record<string, unknown>;
    receivers: {
      webhook_configs?: Record<string, unknown>[];
      discord_configs?: Record<string, unknown>[];
    }[];
  };
  const groupInterval = options.groupInterval ?? '2s';
  Object.assign(doc.route, {
    group_wait: options.groupWait ?? '1s',
    group_interval: groupInterval,
  });
  // Routes with timings of their own (the watchdog's, every minute) repeat at the short interval.
  for (const route of (doc.route['routes'] ?? []) as Record<string, unknown>[]) {
    if ('group_interval' in route) route['group_interval'] = groupInterval;
    if ('repeat_interval' in route) route['repeat_interval'] = groupInterval;
  }
  for (const receiver of doc.receivers) {
    for (const hook of receiver.webhook_configs ?? []) {
      hook['url'] = options.webhookUrl;
      hook['http_config'] = {
        authorization: { type: 'Bearer', credentials_file: options.tokenFile },
      };
    }
    for (const discord of receiver.discord_configs ?? []) {
      delete discord['webhook_url_file'];
      discord['webhook_url'] = options.fallbackWebhookUrl;
    }
  }
  return stringify(doc);
}

/**
 * The repository's prometheus.yml and rules with 1 s intervals, `for:` shortened to 1 s, the
 * environment label fixed, and scrape targets replaced (job → host:port; jobs not named are
 * dropped, so nothing that cannot run here fires).
 */
export function prometheusOverlay(
  config: string,
  rules: Record<string, string>,
  options: { targets: Record<string, string>; alertmanager: string; environment: string },
): { config: string; files: Record<string, string> } {
  const doc = parse(config) as {
    global: Record<string, unknown>;
    rule_files: string[];
    alerting: unknown;
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  Object.assign(doc.global, {
    scrape_interval: '1s',
    evaluation_interval: '1s',
    external_labels: { environment: options.environment },
  });
  doc.alerting = { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] };
  doc.scrape_configs = doc.scrape_configs
    .filter((job) => options.targets[job.job_name])
    .map((job) => ({
      ...job,
      static_configs: [{ targets: [options.targets[job.job_name] ?? ''] }],
    }));
  doc.rule_files = Object.keys(rules).map((name) => `rules-${name}`);
  const files = Object.fromEntries(
    Object.entries(rules).map(([name, text]) => [
      `rules-${name}`,
      text.replace(/^(\s+)for: \S+$/gm, '$1for: 1s'),
    ]),
  );
  return { config: stringify(doc), files };
}

/**
 * The environment of a built API (`dist/apps/api/main.js`) that takes Alertmanager's webhook and
 * delivers to a Discord channel (the simulator's): what the alert e2e test and benches start.
 */
export function alertingApiEnv(options: {
  root: string;
  port: number;
  /** Where its SQLite file goes. */
  dataDir: string;
  discord: { botToken: string; restUrl: string; channelId: string };
  alertToken: string;
  alertmanagerUrl?: string;
  logLevel?: string;
}): Record<string, string> {
  return {
    PORT: String(options.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: options.logLevel ?? 'error',
    DATABASE_URL: `sqlite:${join(options.dataDir, 'chatops.sqlite')}`,
    CATALOG_PATH: join(options.root, 'chatops.config.yaml'),
    API_SERVICE_TOKEN: randomBytes(24).toString('hex'),
    DISCORD_TOKEN: options.discord.botToken,
    DISCORD_API_URL: options.discord.restUrl,
    ALERTS_CHANNEL_ID: options.discord.channelId,
    ALERTMANAGER_WEBHOOK_TOKEN: options.alertToken,
    ...(options.alertmanagerUrl ? { ALERTMANAGER_URL: options.alertmanagerUrl } : {}),
  };
}
