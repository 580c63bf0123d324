import { readFileSync } from 'node:fs';
import * as ts from 'typescript';
import { nodeRequire, packageFile } from './packages';
import { matchOperation, templated, type TemplatedOperation } from './path-templates';

/**
 * Discord's published OpenAPI description, as the pinned `discord-api-spec` package generates it:
 * its `Paths` type says which body each operation takes and answers with (parsed here with the
 * TypeScript compiler, not written out by us), its zod schemas say what each body must hold.
 */
interface ZodIssue {
  code?: string;
  path: PropertyKey[];
  message: string;
  /** invalid_union: the issues of each member. */
  errors?: ZodIssue[][];
}
type ZodLike = {
  safeParse(value: unknown): {
    success: boolean;
    error?: { issues: ZodIssue[] };
  };
};

/** How a body is checked: by a named schema, an array or a union of them, or null. */
type Shape =
  | { kind: 'schema'; name: string }
  | { kind: 'array'; of: Shape }
  | { kind: 'union'; of: Shape[] }
  | { kind: 'null' }
  | { kind: 'any' }
  | { kind: 'none' };

interface Operation extends TemplatedOperation {
  request: Shape;
  responses: Map<string, Shape>;
}

export interface DiscordCheck {
  /** `METHOD /template` as the description names it. */
  operation: string;
  /** Empty: conforms. */
  problems: string[];
}

export class DiscordDescription {
  private static loaded: DiscordDescription | null = null;

  private constructor(
    private readonly operations: Operation[],
    private readonly schemas: Record<string, ZodLike | undefined>,
  ) {}

  /** Parsed once per process (about 0.3 s). */
  static load(): DiscordDescription {
    if (!DiscordDescription.loaded) {
      const types = readFileSync(
        packageFile('discord-api-spec', 'build/discord-api-spec.ts'),
        'utf8',
      );
      const schemas = nodeRequire(
        packageFile('discord-api-spec', 'build/discord-api-spec.zod.js'),
      ) as Record<string, ZodLike | undefined>;
      DiscordDescription.loaded = new DiscordDescription(operationsOf(types), schemas);
    }
    return DiscordDescription.loaded;
  }

  /** The operation a request is, by the description's path templates (null: not described). */
  operation(method: string, path: string): Operation | null {
    return matchOperation(this.operations, method, path);
  }

  /** A request body against the operation's request body (null: the path is not described). */
  checkRequest(method: string, path: string, body: unknown): DiscordCheck | null {
    const operation = this.operation(method, path);
    if (!operation) return null;
    const name = `${operation.method} ${operation.template}`;
    if (operation.request.kind === 'none')
      return { operation: name, problems: body === undefined ? [] : ['takes no body'] };
    return { operation: name, problems: this.check(operation.request, body, '') };
  }

  /** A response against what the description says the operation answers with that status. */
  checkResponse(method: string, path: string, status: number, body: unknown): DiscordCheck | null {
    const operation = this.operation(method, path);
    if (!operation) return null;
    const name = `${operation.method} ${operation.template}`;
    const shape =
      operation.responses.get(String(status)) ??
      operation.responses.get(`${String(status)[0]}XX`) ??
      null;
    if (!shape)
      return {
        operation: name,
        problems: [
          `status ${status} is not one the operation answers (${[...operation.responses.keys()].join(', ')})`,
        ],
      };
    if (status === 204)
      return { operation: name, problems: body === undefined ? [] : ['a 204 has no body'] };
    const answered = status >= 400 ? withNumericFieldErrorCodes(body) : body;
    return { operation: name, problems: this.check(shape, answered, '') };
  }

  private check(shape: Shape, value: unknown, at: string): string[] {
    switch (shape.kind) {
      case 'any':
        return [];
      case 'none':
        return value === undefined ? [] : [`${at || 'body'}: expected no body`];
      case 'null':
        return value === null ? [] : [`${at || 'body'}: expected null`];
      case 'array':
        if (!Array.isArray(value)) return [`${at || 'body'}: expected an array`];
        return value.flatMap((item, i) => this.check(shape.of, item, `${at}[${i}]`));
      case 'union': {
        let best: string[] | null = null;
        for (const member of shape.of) {
          const problems = this.check(member, value, at);
          if (!problems.length) return [];
          if (!best || problems.length < best.length) best = problems;
        }
        return best ?? [];
      }
      case 'schema': {
        const schema = this.schemas[`${shape.name}Schema`];
        if (!schema)
          return [`${at || 'body'}: the description names ${shape.name}, which has no schema`];
        const result = schema.safeParse(value);
        if (result.success) return [];
        return (result.error?.issues ?? []).flatMap((issue) => explain(issue, at));
      }
    }
  }
}

/** The operations of the `Paths` interface of the generated types. */
function operationsOf(source: string): Operation[] {
  const file = ts.createSourceFile('discord-api-spec.ts', source, ts.ScriptTarget.Latest, false);
  const paths = file.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Paths',
  );
  if (!paths) throw new Error('discord-api-spec has no Paths interface');
  const operations: Operation[] = [];
  for (const path of paths.members) {
    if (!ts.isPropertySignature(path) || !path.type || !ts.isTypeLiteralNode(path.type)) continue;
    const template = nameOf(path.name);
    for (const op of path.type.members) {
      if (!ts.isPropertySignature(op) || !op.type || !ts.isTypeLiteralNode(op.type)) continue;
      let request: Shape = { kind: 'none' };
      const responses = new Map<string, Shape>();
      for (const field of op.type.members) {
        if (!ts.isPropertySignature(field) || !field.type) continue;
        const key = nameOf(field.name);
        if (key === 'requestBody') request = shapeOf(field.type);
        if (key === 'responses' && ts.isTypeLiteralNode(field.type))
          for (const response of field.type.members)
            if (ts.isPropertySignature(response) && response.type)
              responses.set(nameOf(response.name), shapeOf(response.type));
      }
      operations.push({
        ...templated(nameOf(op.name), template),
        request,
        responses,
      });
    }
  }
  return operations;
}

function nameOf(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : name.getText();
}

function shapeOf(type: ts.TypeNode): Shape {
  if (ts.isParenthesizedTypeNode(type)) return shapeOf(type.type);
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName))
    return { kind: 'schema', name: type.typeName.text };
  if (ts.isArrayTypeNode(type)) return { kind: 'array', of: shapeOf(type.elementType) };
  if (ts.isUnionTypeNode(type)) return { kind: 'union', of: type.types.map(shapeOf) };
  if (ts.isLiteralTypeNode(type) && type.literal.kind === ts.SyntaxKind.NullKeyword)
    return { kind: 'null' };
  if (type.kind === ts.SyntaxKind.UndefinedKeyword || type.kind === ts.SyntaxKind.NeverKeyword)
    return { kind: 'none' };
  // `unknown` (a 204) and inline object types the generator did not name: nothing to hold to.
  return { kind: 'any' };
}

/** A zod issue as `path: message`; a union that matched no member says why its closest did not. */
function explain(issue: ZodIssue, at: string): string[] {
  const where =
    at + issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  if (issue.code === 'invalid_union' && issue.errors?.length) {
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    if (closest.length) return closest.flatMap((inner) => explain(inner, where));
  }
  return [`${where || 'body'}: ${issue.message}`];
}

/**
 * The one known error in the description: it types the `code` of each field error in
 * `errors…_errors[]` as an integer, but Discord answers strings such as `BASE_TYPE_REQUIRED` (its
 * own documentation's example of error 50035 shows them). Those strings are read as numbers here,
 * so the rest of an error body is still held to the description.
 */
function withNumericFieldErrorCodes(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withNumericFieldErrorCodes);
  if (!body || typeof body !== 'object') return body;
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [
      key,
      key === '_errors' && Array.isArray(value)
        ? value.map((e: unknown) =>
            e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string'
              ? { ...e, code: 0 }
              : e,
          )
        : withNumericFieldErrorCodes(value),
    ]),
  );
}
