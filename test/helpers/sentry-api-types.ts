/**
 * What `@sentry/api` promises about each response, read from the package's own type declarations
 * with the TypeScript compiler, and a checker for JSON values against it. Nothing here is copied
 * from the package: the SDK function names its `…Responses` type (sdk.gen.d.ts), that type gives
 * the shape per status code (types.gen.d.ts), and the shape says which fields are required and
 * what JSON type each has.
 */
import { join } from 'node:path';
import ts from 'typescript';

export type Shape =
  | { kind: 'string' | 'number' | 'boolean' | 'null' | 'unknown' | 'void' }
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'array'; element: Shape }
  | { kind: 'object'; properties: Map<string, { optional: boolean; shape: Shape }>; index?: Shape }
  | { kind: 'union'; options: Shape[] };

// The package exports only its entry point, so its declarations are found where npm put them.
const distDir = join(import.meta.dirname, '../../node_modules/@sentry/api/dist');
const typesFile = join(distDir, 'types.gen.d.ts');
const sdkFile = join(distDir, 'sdk.gen.d.ts');

let loaded: { checker: ts.TypeChecker; types: ts.SourceFile; sdk: ts.SourceFile } | undefined;

/** Read the declarations (a few seconds of type checking): once per test file, in a hook. */
export function loadSentryApiTypes(): void {
  load();
}

function load() {
  if (loaded) return loaded;
  const program = ts.createProgram([sdkFile, typesFile], { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022 });
  const types = program.getSourceFile(typesFile);
  const sdk = program.getSourceFile(sdkFile);
  if (!types || !sdk) throw new Error(`@sentry/api declarations not found in ${distDir}`);
  loaded = { checker: program.getTypeChecker(), types, sdk };
  return loaded;
}

/** `listYourOrganizations` → "ListYourOrganizationsResponses", from the function's declared return type. */
export function responsesTypeOf(sdkFunction: string): string {
  const { sdk } = load();
  for (const statement of sdk.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (!ts.isIdentifier(decl.name) || decl.name.text !== sdkFunction) continue;
      const fn = decl.type;
      if (!fn || !ts.isFunctionTypeNode(fn) || !ts.isImportTypeNode(fn.type)) break;
      const first = fn.type.typeArguments?.[0];
      if (first && ts.isTypeReferenceNode(first) && ts.isIdentifier(first.typeName)) return first.typeName.text;
    }
  }
  throw new Error(`@sentry/api has no function ${sdkFunction}`);
}

/** The shape @sentry/api declares for one status code of a `…Responses` type. */
export function responseShape(responsesType: string, status: number): Shape {
  const { checker, types } = load();
  const alias = types.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === responsesType);
  if (!alias) throw new Error(`@sentry/api has no type ${responsesType}`);
  const type = checker.getTypeAtLocation(alias);
  const property = type.getProperty(String(status));
  if (!property) throw new Error(`${responsesType} declares no response for status ${status}`);
  return toShape(checker, checker.getTypeOfSymbol(property), new Map());
}

function toShape(checker: ts.TypeChecker, type: ts.Type, seen: Map<ts.Type, Shape>): Shape {
  const known = seen.get(type);
  if (known) return known;
  const f = type.flags;
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { kind: 'unknown' };
  if (f & ts.TypeFlags.Void) return { kind: 'void' };
  if (f & ts.TypeFlags.Null) return { kind: 'null' };
  if (f & ts.TypeFlags.StringLiteral) return { kind: 'literal', value: (type as ts.StringLiteralType).value };
  if (f & ts.TypeFlags.NumberLiteral) return { kind: 'literal', value: (type as ts.NumberLiteralType).value };
  if (f & ts.TypeFlags.BooleanLiteral) return { kind: 'literal', value: checker.typeToString(type) === 'true' };
  if (f & ts.TypeFlags.StringLike) return { kind: 'string' };
  if (f & ts.TypeFlags.NumberLike) return { kind: 'number' };
  if (f & ts.TypeFlags.BooleanLike) return { kind: 'boolean' };
  if (type.isUnion()) {
    const parts = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
    const literals = parts.filter((t) => t.flags & ts.TypeFlags.BooleanLiteral);
    const rest = parts.filter((t) => !(t.flags & ts.TypeFlags.BooleanLiteral));
    const options = rest.map((t) => toShape(checker, t, seen));
    if (literals.length === 2) options.push({ kind: 'boolean' });
    else options.push(...literals.map((t) => toShape(checker, t, seen)));
    return options.length === 1 ? (options[0] as Shape) : { kind: 'union', options };
  }
  // `'https://…' | (string & {})`: a branded string is a string.
  if (type.isIntersection()) {
    const shapes = type.types.map((t) => toShape(checker, t, seen));
    return shapes.find((s) => s.kind !== 'object') ?? (shapes[0] as Shape);
  }
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    const element = checker.getTypeArguments(type as ts.TypeReference)[0];
    return { kind: 'array', element: element ? toShape(checker, element, seen) : { kind: 'unknown' } };
  }
  if (f & ts.TypeFlags.Object) {
    const shape: Extract<Shape, { kind: 'object' }> = { kind: 'object', properties: new Map() };
    seen.set(type, shape);
    for (const prop of checker.getPropertiesOfType(type)) {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      shape.properties.set(prop.name, { optional, shape: toShape(checker, checker.getTypeOfSymbol(prop), seen) });
    }
    const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    if (index) shape.index = toShape(checker, index.type, seen);
    return shape;
  }
  throw new Error(`cannot read the type ${checker.typeToString(type)}`);
}

/** Every way the value fails the shape, as "path: problem". */
export function check(shape: Shape, value: unknown, path = '$'): string[] {
  switch (shape.kind) {
    case 'unknown':
      return [];
    case 'void':
      return value === undefined || value === null || value === '' || (typeof value === 'object' && Object.keys(value).length === 0) ? [] : [`${path}: expected no content`];
    case 'null':
      return value === null ? [] : [`${path}: expected null, got ${describe(value)}`];
    case 'string':
    case 'number':
    case 'boolean':
      return typeof value === shape.kind ? [] : [`${path}: expected ${shape.kind}, got ${describe(value)}`];
    case 'literal':
      return value === shape.value ? [] : [`${path}: expected ${JSON.stringify(shape.value)}, got ${describe(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected array, got ${describe(value)}`];
      return value.flatMap((item, i) => check(shape.element, item, `${path}[${i}]`));
    case 'union': {
      const attempts = shape.options.map((o) => check(o, value, path));
      return attempts.some((a) => a.length === 0) ? [] : attempts.reduce((a, b) => (b.length < a.length ? b : a));
    }
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected object, got ${describe(value)}`];
      const record = value as Record<string, unknown>;
      const problems: string[] = [];
      for (const [name, prop] of shape.properties) {
        if (!(name in record) || record[name] === undefined) {
          if (!prop.optional) problems.push(`${path}.${name}: required, missing`);
          continue;
        }
        problems.push(...check(prop.shape, record[name], `${path}.${name}`));
      }
      if (shape.index) {
        for (const [name, item] of Object.entries(record)) {
          if (!shape.properties.has(name)) problems.push(...check(shape.index, item, `${path}.${name}`));
        }
      }
      return problems;
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The required fields of an object shape (for tests that show the check has teeth). */
export function requiredFields(shape: Shape): string[] {
  const target = shape.kind === 'array' ? shape.element : shape;
  if (target.kind !== 'object') return [];
  return [...target.properties].filter(([, p]) => !p.optional).map(([name]) => name);
}
