import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';

export interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

/** Where a child's output goes: readable lines on stdout, or a log file (while the console is open). */
export type Output = { kind: 'stdout' } | { kind: 'file'; path: string };

export function startChild(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  output: Output,
  cwd: string,
): Child {
  const child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const write = sink(output);
  for (const stream of [child.stdout, child.stderr])
    if (stream) forwardLines(stream, (line) => write(`[${name}] ${readable(line)}\n`));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { name, process: child, exited };
}

export async function stopChildren(children: Child[]): Promise<void> {
  await Promise.all(
    children.map((child) => {
      if (child.process.exitCode !== null || child.process.signalCode !== null) return child.exited;
      child.process.kill('SIGTERM');
      const force = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
      return child.exited.finally(() => clearTimeout(force));
    }),
  );
}

export async function waitForHttp(
  url: string,
  accept: (status: number) => boolean,
  child: Child,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null)
      throw new Error(`${child.name} exited with ${child.process.exitCode}`);
    try {
      if (accept((await fetch(url)).status)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up within ${timeoutMs / 1000} s`);
}

function sink(output: Output): (text: string) => void {
  if (output.kind === 'stdout') return (text) => process.stdout.write(text);
  mkdirSync(dirname(output.path), { recursive: true });
  const file = createWriteStream(output.path, { flags: 'a' });
  return (text) => file.write(text);
}

function forwardLines(stream: Readable, onLine: (line: string) => void): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  });
}

const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

/** A pino JSON line as `level message  key=value…`; anything else as it is. */
export function readable(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const fields = Object.entries(entry)
    .filter(([key]) => !SKIP.has(key))
    .map(
      ([key, value]) =>
        `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    )
    .join(' ');
  return `${String(entry['level'] ?? '').padEnd(5)} ${String(entry['msg'] ?? '')}${fields ? `  ${fields}` : ''}`;
}
