import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { Catalog, catalogSchema, zodProblems } from '@chatops/domain';
import { ConfigError } from './config-error';

export const DEFAULT_CATALOG_PATH = 'chatops.config.yaml';

/** Reads and validates the catalog; a ConfigError names the file and every problem in it. */
export function loadCatalog(path: string = DEFAULT_CATALOG_PATH): Catalog {
  const absolute = resolve(path);
  const source = `catalog ${absolute}`;
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(source, [
      code === 'ENOENT' ? 'file not found (set CATALOG_PATH)' : `cannot be read (${code})`,
    ]);
  }
  return parseCatalog(text, source);
}

export function parseCatalog(text: string, source = 'catalog'): Catalog {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      document.errors.map((e) => `YAML ${e.message.split('\n')[0]}`),
    );
  }
  const result = catalogSchema.safeParse(document.toJS());
  if (result.success) return result.data;
  throw new ConfigError(source, zodProblems(result.error.issues));
}
