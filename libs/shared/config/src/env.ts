import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { zodProblems } from '@chatops/domain';

/**
 * Validates environment variables against an app's schema. Every problem is reported in one
 * ConfigError naming the variable and the rule it breaks, never the value it holds.
 *
 * Each variable of the schema may instead be given as `<NAME>_FILE`, the path of a file holding
 * the value (Docker and compose secrets are files under /run/secrets): secrets then never sit in
 * the process environment, `docker inspect` or the compose file.
 */
export function loadEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  // Empty strings mean "unset": a blank line in .env must not override a default.
  const cleaned: Record<string, string> = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
  const fileProblems = readFileVariables(schema, cleaned);
  const result = schema.safeParse(cleaned);
  if (result.success && fileProblems.length === 0) return result.data;
  const problems = result.success
    ? []
    : zodProblems(
        // A variable whose file could not be read is reported once, for its file.
        result.error.issues.filter(
          (issue) =>
            !fileProblems.some((problem) => problem.startsWith(`${String(issue.path[0])}_FILE:`)),
        ),
        {
          describe: (issue) =>
            issue.code === 'invalid_type' && !(String(issue.path[0]) in cleaned)
              ? 'is required'
              : issue.message,
        },
      );
  throw new ConfigError('configuration', [...fileProblems, ...problems]);
}

/** Replaces `<NAME>_FILE` by `<NAME>` (the file's content) for the schema's own variables. */
function readFileVariables(schema: z.ZodType, env: Record<string, string>): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  if (!shape) return [];
  const problems: string[] = [];
  for (const name of Object.keys(shape)) {
    const path = env[`${name}_FILE`];
    if (path === undefined || `${name}_FILE` in shape) continue;
    delete env[`${name}_FILE`];
    if (env[name] !== undefined) {
      problems.push(`${name}_FILE: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      // One trailing newline is how files end, not part of the secret.
      const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      if (value !== '') env[name] = value;
      else problems.push(`${name}_FILE: ${path} is empty`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`${name}_FILE: cannot read ${path} (${code})`);
    }
  }
  return problems;
}

/** Schema pieces shared by the apps' configuration schemas. */
export const envFields = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: () => z.string().min(1).default('0.0.0.0'),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** A credential: required, and long enough not to be a placeholder. */
  secret: (minLength = 16) =>
    z.string().min(minLength, { message: `must be at least ${minLength} characters` }),
  url: () =>
    z.string().refine((value) => URL.canParse(value), { message: 'must be an absolute URL' }),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
};

/** The password inside a connection URL (postgres://user:password@host/db), to keep out of logs. */
export function urlPassword(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const password = new URL(url).password;
  return password ? decodeURIComponent(password) : undefined;
}
