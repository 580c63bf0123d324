import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where a running sandbox says it listens, so `npm run chat` can find it. */
export interface SandboxState {
  pid: number;
  simUrl: string | null;
  githubUrl?: string | null;
  awsUrl?: string | null;
  apiUrl: string;
  botUrl: string;
  alertmanagerUrl?: string | null;
  prometheusUrl?: string | null;
  /** Where its database and the stand-ins' state are kept. */
  dataDir?: string;
  /** The processes it started (API, bot, Alertmanager), to stop them if it was killed. */
  children?: { name: string; pid: number }[];
}

export function statePath(root: string): string {
  return join(root, 'tmp', 'sandbox', 'state.json');
}

export function writeState(root: string, state: SandboxState): void {
  mkdirSync(dirname(statePath(root)), { recursive: true });
  const temporary = `${statePath(root)}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state, null, 2));
  renameSync(temporary, statePath(root));
}

export function readState(root: string): SandboxState | null {
  if (!existsSync(statePath(root))) return null;
  try {
    return JSON.parse(readFileSync(statePath(root), 'utf8')) as SandboxState;
  } catch {
    return null;
  }
}

export function removeState(root: string, pid: number): void {
  if (readState(root)?.pid === pid) rmSync(statePath(root), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What /proc says a process runs (empty when it cannot be read: gone, or not Linux). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * A sandbox killed outright (kill -9, a closed terminal) leaves its API, bot and Alertmanager
 * running on its ports. Stops those, and only those: processes its state file names whose
 * command line is still theirs. Returns what it stopped.
 */
export async function stopOrphans(root: string): Promise<string[]> {
  const state = readState(root);
  if (!state || isAlive(state.pid)) return [];
  const orphans = (state.children ?? []).filter(
    (c) => isAlive(c.pid) && /dist\/apps\/(api|bot)\/|alertmanager/.test(commandLine(c.pid)),
  );
  for (const orphan of orphans) process.kill(orphan.pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (orphans.some((o) => isAlive(o.pid)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  for (const orphan of orphans) if (isAlive(orphan.pid)) process.kill(orphan.pid, 'SIGKILL');
  rmSync(statePath(root), { force: true });
  return orphans.map((o) => `${o.name} (pid ${o.pid})`);
}
