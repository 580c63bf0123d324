import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where a running sandbox says it listens, so `npm run chat` can find it. */
export interface SandboxState {
  pid: number;
  simUrl: string | null;
  githubUrl?: string | null;
  awsUrl?: string | null;
  apiUrl: string;
  botUrl: string;
}

export function statePath(root: string): string {
  return join(root, 'tmp', 'sandbox', 'state.json');
}

export function writeState(root: string, state: SandboxState): void {
  mkdirSync(dirname(statePath(root)), { recursive: true });
  writeFileSync(statePath(root), JSON.stringify(state, null, 2));
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
