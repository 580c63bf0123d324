import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import { nodeRequire, packageFile } from './packages';
import { matchOperation, templated, type TemplatedOperation } from './path-templates';

interface OpenApiDocument {
  openapi: string;
  paths?: Record<string, Record<string, OpenApiOperation>>;
  webhooks?: Record<string, Record<string, OpenApiOperation>>;
  components?: Record<string, Record<string, unknown>>;
}

interface OpenApiOperation {
  requestBody?: {
    $ref?: string;
    required?: boolean;
    content?: Record<string, { schema?: unknown }>;
  };
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
}

interface Operation extends TemplatedOperation {
  /** JSON pointer of the operation in the document. */
  pointer: string;
  operation: OpenApiOperation;
}

export interface OpenApiCheck {
  operation: string;
  problems: string[];
}

/** The error body GitHub's description defines once for every operation. */
const COMMON_ERROR_SCHEMA = 'basic-error';
const DOCUMENT_ID = 'https://description.invalid/openapi.json';

/**
 * An OpenAPI description (3.0 or 3.1) held as the published document: operations found by its
 * path templates, bodies validated with Ajv against the schemas it gives, compiled on first use.
 */
export class OpenApiDescription {
  private readonly ajv: Ajv;
  private readonly operations: Operation[] = [];
  private readonly validators = new Map<string, ValidateFunction | null>();

  constructor(private readonly document: OpenApiDocument) {
    const options = { strict: false, allErrors: true, validateSchema: false } as const;
    const v31 = document.openapi.startsWith('3.1');
    this.ajv = v31 ? new Ajv2020(options) : new Ajv(options);
    if (!v31) nullableEnumsAllowNull(document);
    addFormats(this.ajv);
    this.ajv.addSchema(document as object, DOCUMENT_ID);
    for (const [template, methods] of Object.entries(document.paths ?? {}))
      for (const [method, operation] of Object.entries(methods)) {
        if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
        this.operations.push({
          ...templated(method, template),
          pointer: pointerOf(['paths', template, method]),
          operation,
        });
      }
  }

  /** A package's description, parsed once per process. */
  static fromPackage(name: string, file: string): OpenApiDescription {
    const key = `${name}/${file}`;
    let description = loaded.get(key);
    if (!description) {
      description = new OpenApiDescription(nodeRequire(packageFile(name, file)) as OpenApiDocument);
      loaded.set(key, description);
    }
    return description;
  }

  operation(method: string, path: string): Operation | null {
    return matchOperation(this.operations, method, path);
  }

  checkRequest(method: string, path: string, body: unknown): OpenApiCheck | null {
    const operation = this.operation(method, path);
    if (!operation) return null;
    const name = `${operation.method} ${operation.template}`;
    const requestBody = this.resolve(operation.operation.requestBody);
    const content = requestBody?.content;
    if (!content) return { operation: name, problems: [] };
    if (body === undefined)
      return { operation: name, problems: requestBody.required ? ['the body is required'] : [] };
    if (!content['application/json']) return null;
    const pointer = `${this.pointerOfBody(operation, 'requestBody')}/content/application~1json/schema`;
    return { operation: name, problems: this.validate(pointer, body) };
  }

  checkResponse(method: string, path: string, status: number, body: unknown): OpenApiCheck | null {
    const operation = this.operation(method, path);
    if (!operation) return null;
    const name = `${operation.method} ${operation.template}`;
    const responses = operation.operation.responses ?? {};
    const key =
      String(status) in responses ? String(status) : 'default' in responses ? 'default' : null;
    if (!key) {
      // GitHub describes few of the errors each operation can give (401, 403 and 422 on most);
      // those it leaves out are held to the error schema its description defines for all.
      const common = this.document.components?.['schemas']?.[COMMON_ERROR_SCHEMA];
      if (status >= 400 && common)
        return {
          operation: name,
          problems: this.validate(`/components/schemas/${COMMON_ERROR_SCHEMA}`, body),
        };
      return {
        operation: name,
        problems: [
          `status ${status} is not one the operation answers (${Object.keys(responses).join(', ')})`,
        ],
      };
    }
    const content = this.resolve(responses[key])?.content;
    if (!content?.['application/json'])
      return {
        operation: name,
        problems: body === undefined ? [] : [`a ${status} of this operation has no JSON body`],
      };
    const pointer = `${this.pointerOfBody(operation, `responses/${key}`)}/content/application~1json/schema`;
    return { operation: name, problems: this.validate(pointer, body) };
  }

  hasWebhook(name: string): boolean {
    return Boolean(this.document.webhooks?.[name]);
  }

  /** A body against the schema at a pointer into the document (a webhook's, say). */
  validate(pointer: string, body: unknown): string[] {
    let validator = this.validators.get(pointer);
    if (validator === undefined) {
      validator = this.ajv.compile({ $ref: `${DOCUMENT_ID}#${encodePointer(pointer)}` });
      this.validators.set(pointer, validator);
    }
    if (!validator || validator(body)) return [];
    return explain(validator.errors ?? []);
  }

  /** Where an operation's request body or response is defined (following one `$ref`). */
  private pointerOfBody(operation: Operation, part: string): string {
    const segments = part.split('/');
    let node: unknown = operation.operation;
    for (const segment of segments) node = (node as Record<string, unknown>)[segment];
    const ref = (node as { $ref?: string }).$ref;
    return ref ? ref.slice(1) : `${operation.pointer}/${segments.map(escapeSegment).join('/')}`;
  }

  private resolve<T extends { $ref?: string }>(node: T | undefined): T | undefined {
    if (!node?.$ref) return node;
    let target: unknown = this.document;
    for (const segment of node.$ref.slice(2).split('/'))
      target = (target as Record<string, unknown>)[unescapeSegment(segment)];
    return target as T;
  }
}

/**
 * Parsed descriptions, kept on Node's own `fs` module: Jest gives every test file a module
 * registry of its own, so a module-level cache would parse GitHub's 13 MB description again for
 * each file of a worker, while core modules are shared by them all.
 */
const CACHE = Symbol.for('chatops.sim-kit.openapi-descriptions');
const holder = fs as unknown as { [CACHE]?: Map<string, OpenApiDescription> };
const loaded = (holder[CACHE] ??= new Map<string, OpenApiDescription>());

function escapeSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function pointerOf(segments: string[]): string {
  return `/${segments.map(escapeSegment).join('/')}`;
}

/** A JSON pointer as a URI fragment: `{`, `}` and the like percent-encoded. */
function encodePointer(pointer: string): string {
  return pointer
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%7E/gi, '~'))
    .join('/');
}

/** Ajv's errors as `path: message`, the few most telling. */
function explain(errors: ErrorObject[]): string[] {
  // Of a oneOf/anyOf that failed, the branch errors say more than the summary.
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const chosen = specific.length ? specific : errors;
  const lines = chosen.map((e) => {
    const where = e.instancePath.replace(/\//g, '.') || 'body';
    const extra =
      e.keyword === 'required'
        ? ` (${String((e.params as { missingProperty?: string }).missingProperty)})`
        : e.keyword === 'additionalProperties'
          ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
          : '';
    return `${where}: ${e.message ?? e.keyword}${extra}`;
  });
  return [...new Set(lines)];
}

/**
 * OpenAPI 3.0's `nullable: true` made plain JSON Schema (in place, once per document): beside an
 * `enum` without null (GitHub's job `conclusion`, null while the job runs) null joins the enum;
 * without a `type` (beside `allOf`, say) the schema becomes "that, or null".
 */
function nullableEnumsAllowNull(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) nullableEnumsAllowNull(item);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const value of Object.values(node)) nullableEnumsAllowNull(value);
  const schema = node as Record<string, unknown> & { nullable?: unknown; enum?: unknown[] };
  if (schema.nullable !== true) return;
  if (Array.isArray(schema.enum) && !schema.enum.includes(null))
    schema.enum = [...schema.enum, null];
  if (schema['type'] === undefined) {
    const { nullable: _nullable, ...rest } = schema;
    for (const key of Object.keys(schema)) delete schema[key];
    schema['anyOf'] = [rest, { enum: [null] }];
  }
}
