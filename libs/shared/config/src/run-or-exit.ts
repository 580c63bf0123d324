import { ConfigError } from './config-error';

/**
 * Runs an app's configuration step; a ConfigError is printed as the list it is and the process
 * exits with status 78 (EX_CONFIG) so supervisors stop restarting a process that cannot start.
 */
export function configOrExit<T>(
  load: () => T,
  write: (text: string) => void = (t) => process.stderr.write(t),
): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      write(`${error.message}\n`);
      return process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

export const EXIT_CONFIG = 78;

/**
 * What an app prints when it cannot start: a port in use or not allowed is named with the
 * variable that moves it, anything else with its message (never a stack trace).
 */
export function describeStartFailure(app: string, error: unknown, portVariable = 'PORT'): string {
  const failure = error as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = `${failure.address ?? ''}:${failure.port ?? ''}`;
  if (failure.code === 'EADDRINUSE')
    return `${app} cannot listen on ${where}: the port is in use. Stop what listens there, or set ${portVariable} to another port`;
  if (failure.code === 'EACCES' && failure.syscall === 'listen')
    return `${app} cannot listen on ${where}: not allowed (ports below 1024 need privileges). Set ${portVariable} to a port above 1023`;
  if (failure.code === 'EADDRNOTAVAIL')
    return `${app} cannot listen on ${where}: no such address on this machine. Set HOST to one of its addresses (0.0.0.0 for all)`;
  return `${app} failed to start: ${error instanceof Error ? error.message : String(error)}`;
}
