import { Writable } from 'node:stream';
import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';

/** Structured fields that may carry credentials; pino replaces them with "[Redacted]". */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
];

export interface LoggerConfig {
  name: string;
  level: string;
  /** Secret values (tokens, keys) that must never appear in a log line, wherever they hide. */
  secrets?: ReadonlyArray<string | undefined>;
  destination?: DestinationStream | Writable;
  options?: LoggerOptions;
}

export const SECRET_MASK = '[REDACTED]';

/**
 * JSON logs with path-based redaction, plus a last line of defence: every line is scrubbed of
 * the configured secret values (an error message quoting a token, a URL with a key in it).
 */
export function createLogger(config: LoggerConfig): Logger {
  const secrets = (config.secrets ?? []).filter(
    (s): s is string => typeof s === 'string' && s.length >= 8,
  );
  const destination = config.destination ?? pino.destination({ fd: 1, sync: false });
  return pino(
    {
      name: config.name,
      level: config.level,
      redact: { paths: REDACTED_PATHS },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...config.options,
    },
    secrets.length > 0 ? scrubbing(destination, secrets) : destination,
  );
}

/** Values shorter than this are not masked: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 8;

function maskableSecrets(secrets: ReadonlyArray<string | undefined>): string[] {
  return secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
}

export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let result = text;
  for (const secret of maskableSecrets(secrets)) {
    if (result.includes(secret)) result = result.split(secret).join(SECRET_MASK);
    // The same secret as JSON-escaped inside a serialized string.
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && result.includes(escaped))
      result = result.split(escaped).join(SECRET_MASK);
  }
  return result;
}

function scrubbing(
  destination: DestinationStream | Writable,
  secrets: readonly string[],
): DestinationStream {
  return {
    write(line: string) {
      destination.write(scrubSecrets(line, secrets));
    },
  };
}
