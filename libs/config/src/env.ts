import { z } from 'zod';
import { ConfigError } from './config-error';

/**
 * Validates environment variables against an app's schema. Every problem is reported in one
 * ConfigError naming the variable and the rule it breaks, never the value it holds.
 */
export function loadEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  // Empty strings mean "unset": a blank line in .env must not override a default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    'configuration',
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(root)';
      const missing = issue.code === 'invalid_type' && !(String(issue.path[0]) in cleaned);
      return `${name}: ${missing ? 'is required' : issue.message}`;
    }),
  );
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
