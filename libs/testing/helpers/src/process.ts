import { ChildProcess, spawn } from 'node:child_process';

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node <script> [args]` with exactly the given environment (plus PATH and HOME). */
export function startNode(
  script: string,
  env: Record<string, string>,
  options: { cwd?: string; args?: string[] } = {},
): RunningProcess {
  return startProcess(process.execPath, [script, ...(options.args ?? [])], env, options);
}

/** Starts a program with exactly the given environment (plus PATH and HOME). */
export function startProcess(
  file: string,
  args: string[],
  env: Record<string, string> = {},
  options: { cwd?: string } = {},
): RunningProcess {
  const child = spawn(file, args, {
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A program that is not installed: say which, instead of crashing the test run.
    child.once('error', (error: NodeJS.ErrnoException) => {
      output += `cannot start ${file}: ${error.code === 'ENOENT' ? 'not installed' : error.message}\n`;
      resolve({ code: 127, signal: null });
    });
  });
  return {
    child,
    output: () => output,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Polls a URL until it answers with the expected status; fails early, with the process's
 * output, if the process exits first.
 */
export async function waitForHttp(
  url: string,
  options: { status?: number; timeoutMs?: number; process?: RunningProcess } = {},
): Promise<Response> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last = 'no answer';
  while (Date.now() < deadline) {
    const proc = options.process;
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(
        `process exited (${proc.child.exitCode ?? proc.child.signalCode}) before ${url} answered:\n${proc.output()}`,
      );
    }
    try {
      const res = await fetch(url);
      if (res.status === (options.status ?? 200)) return res;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    `${url} did not answer ${options.status ?? 200} in time (last: ${last})\n${options.process?.output() ?? ''}`,
  );
}
