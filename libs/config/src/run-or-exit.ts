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
