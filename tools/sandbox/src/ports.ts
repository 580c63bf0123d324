import { createServer } from 'node:net';

export interface NamedPort {
  /** The variable that moves it (API_PORT…). */
  variable: string;
  port: number;
  what: string;
}

/** Whether something already listens on host:port (a bind that fails with EADDRINUSE). */
function inUse(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/**
 * One line per port the sandbox cannot listen on, naming the port, what wanted it and the
 * variable that moves it (checked before anything starts, so nothing is left half up).
 */
export async function portProblems(host: string, ports: NamedPort[]): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  for (const { variable, port, what } of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`${variable}=${String(port)} is not a port number (1–65535)`);
      continue;
    }
    const twice = seen.get(port);
    if (twice) {
      problems.push(`${variable} and ${twice} are both ${port}: give each its own port`);
      continue;
    }
    seen.set(port, variable);
    const error = await inUse(host, port);
    if (error?.code === 'EADDRINUSE')
      problems.push(
        `port ${port} on ${host} (${what}) is in use: stop what listens there, or set ${variable} to another port (in .env or the environment)`,
      );
    else if (error?.code === 'EACCES')
      problems.push(
        `port ${port} (${what}) needs privileges: set ${variable} to a port above 1023`,
      );
    else if (error)
      problems.push(`cannot listen on ${host}:${port} (${what}, ${variable}): ${error.message}`);
  }
  return problems;
}
