/**
 * Request fields with Django REST framework semantics, as zod schemas.
 *
 * Sentry validates request bodies with DRF serializers, and clients (Terraform, go-sentry, scripts)
 * depend on what DRF accepts ("10" as an integer, "yes" as a boolean, "" as "no value") and on its
 * exact error messages. Each builder here is a zod schema that coerces like the DRF field and fails
 * with DRF's message; `.meta()` gives the OpenAPI document the field's real type.
 */
import { z } from 'zod';

/** DRF's default messages (rest_framework/fields.py, serializers.py). */
export const DRF = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  invalidString: 'Not a valid string.',
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  nullCharacters: 'Null characters are not allowed.',
  surrogate: (code: number) => `Surrogate characters are not allowed: U+${code.toString(16).toUpperCase()}.`,
  invalidInteger: 'A valid integer is required.',
  maxStringLength: 'String value too large.',
  minValue: (n: number) => `Ensure this value is greater than or equal to ${n}.`,
  maxValue: (n: number) => `Ensure this value is less than or equal to ${n}.`,
  invalidBoolean: 'Must be a valid boolean.',
  invalidPattern: 'This value does not match the required pattern.',
  invalidChoice: (input: string) => `"${input}" is not a valid choice.`,
  notADict: (type: string) => `Invalid data. Expected a dictionary, but got ${type}.`,
  notAList: (type: string) => `Expected a list of items but got type "${type}".`,
  /** The top-level serializer given `null` (DRF's `Serializer` 'null' message). */
  noData: 'No data provided',
  maxItems: (n: number) => `Ensure this field has no more than ${n} elements.`,
} as const;

/** The Python type name DRF puts in "Expected a dictionary, but got <type>". */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/** Python's str() of a JSON scalar, as DRF sees it before converting. */
function pythonStr(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return 'None';
  if (Array.isArray(value) || typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

type Ctx = z.core.$RefinementCtx;

function fail(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message, input: undefined });
  return z.NEVER as never;
}

/**
 * A DRF field over any JSON value: DRF's `validate_empty_values` first (absent: "required"; null:
 * kept if `allowNull`, else "may not be null"), then `read` turns any other value into the field's.
 */
function field<T>(allowNull: boolean | undefined, read: (value: NonNullable<unknown>, ctx: Ctx) => T) {
  return z.unknown().transform((value, ctx): T | null => {
    if (value === undefined) return fail(ctx, DRF.required);
    if (value === null) return allowNull ? null : fail(ctx, DRF.null);
    return read(value, ctx);
  });
}

interface Nullable {
  allowNull?: boolean;
}

export interface CharOptions extends Nullable {
  maxLength?: number;
  allowBlank?: boolean;
  description?: string;
  /** A regex the trimmed value must match (DRF RegexField). */
  pattern?: RegExp;
  /** The message when `pattern` does not match (Sentry's slug fields have their own). */
  patternMessage?: string;
}

/** DRF CharField (trim_whitespace=True), with the null/surrogate validators DRF adds. */
export function char(options: CharOptions = {}) {
  return field(options.allowNull, (value, ctx): string => {
    if (typeof value === 'boolean' || !['string', 'number'].includes(typeof value)) {
      return fail(ctx, DRF.invalidString);
    }
    const text = String(value).trim();
    if (text === '') return options.allowBlank ? '' : fail(ctx, DRF.blank);
    const problems = charProblems(text, options);
    if (problems.length > 0) {
      for (const message of problems) ctx.addIssue({ code: 'custom', message, input: undefined });
      return z.NEVER;
    }
    return text;
  }).meta({
    type: 'string',
    ...(options.allowNull ? { nullable: true } : {}),
    ...(options.maxLength ? { maxLength: options.maxLength } : {}),
    ...(options.pattern ? { pattern: options.pattern.source } : {}),
    ...(options.description ? { description: options.description } : {}),
  });
}

function charProblems(text: string, options: CharOptions): string[] {
  const problems: string[] = [];
  if (options.maxLength !== undefined && text.length > options.maxLength && codePoints(text, options.maxLength) > options.maxLength) {
    problems.push(DRF.maxLength(options.maxLength));
  }
  if (text.includes('\u0000')) problems.push(DRF.nullCharacters);
  const surrogate = loneSurrogate(text);
  if (surrogate !== undefined) problems.push(DRF.surrogate(surrogate));
  if (options.pattern && !options.pattern.test(text)) problems.push(options.patternMessage ?? DRF.invalidPattern);
  return problems;
}

/** Python's len() (code points), counting no further than just past `max`. */
function codePoints(text: string, max: number): number {
  let count = 0;
  for (let i = 0; i < text.length && count <= max; i++, count++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

function loneSurrogate(text: string): number | undefined {
  const match = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
  return match ? match[0].charCodeAt(0) : undefined;
}

export interface IntegerOptions extends Nullable {
  min?: number;
  max?: number;
  /** Sentry's EmptyIntegerField: "" means "no value" (null). */
  emptyAsNull?: boolean;
  description?: string;
}

const PYTHON_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const TRAILING_DECIMAL_ZEROS = /\.0*\s*$/;

/** DRF IntegerField: accepts 10, 10.0, "10", " 10 ", "10.00"; rejects 10.5, true, "ten". */
export function integer(options: IntegerOptions = {}) {
  return field(options.allowNull, (value, ctx): number | null => {
    if (value === '' && options.emptyAsNull) return null;
    const parsed = parseInteger(value);
    if (parsed === 'too-long') return fail(ctx, DRF.maxStringLength);
    if (parsed === undefined) return fail(ctx, DRF.invalidInteger);
    if (options.min !== undefined && parsed < options.min) return fail(ctx, DRF.minValue(options.min));
    if (options.max !== undefined && parsed > options.max) return fail(ctx, DRF.maxValue(options.max));
    return parsed;
  }).meta({
    type: 'integer',
    ...(options.allowNull || options.emptyAsNull ? { nullable: true } : {}),
    ...(options.min !== undefined ? { minimum: options.min } : {}),
    ...(options.max !== undefined ? { maximum: options.max } : {}),
    ...(options.description ? { description: options.description } : {}),
  });
}

function parseInteger(value: unknown): number | 'too-long' | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && Number.isFinite(value) ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  if (value.length > 1000) return 'too-long';
  const text = value.replace(TRAILING_DECIMAL_ZEROS, '');
  if (!PYTHON_INT.test(text)) return undefined;
  const parsed = Number(text.trim().replaceAll('_', ''));
  return Number.isFinite(parsed) ? parsed : undefined;
}

const TRUE_VALUES = new Set<unknown>(['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1', 1, true]);
const FALSE_VALUES = new Set<unknown>(['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0', 0, false]);

/** DRF BooleanField. */
export function boolean(options: Nullable & { description?: string } = {}) {
  return field(options.allowNull, (value, ctx): boolean => {
    if (TRUE_VALUES.has(value)) return true;
    if (FALSE_VALUES.has(value)) return false;
    return fail(ctx, DRF.invalidBoolean);
  }).meta({
    type: 'boolean',
    ...(options.allowNull ? { nullable: true } : {}),
    ...(options.description ? { description: options.description } : {}),
  });
}

/** DRF ChoiceField over string choices. */
export function choice<const T extends readonly [string, ...string[]]>(
  choices: T,
  options: Nullable & { description?: string } = {},
) {
  const allowed = new Set<string>(choices);
  return field(options.allowNull, (value, ctx): T[number] => {
    const text = pythonStr(value);
    if (!allowed.has(text)) return fail(ctx, DRF.invalidChoice(text));
    return text as T[number];
  }).meta({
    type: 'string',
    enum: [...choices],
    ...(options.allowNull ? { nullable: true } : {}),
    ...(options.description ? { description: options.description } : {}),
  });
}

/**
 * DRF ListField(child=…): a list whose items each pass `child`; an item's errors are reported
 * under its index, `{"field": {"0": ["…"]}}`.
 */
/** DRF's ListField; `maxItems` (its `max_length`) is checked before any item is. */
export function list<T extends z.ZodType>(child: T, options: { description?: string; maxItems?: number } = {}) {
  return z
    .unknown()
    .transform((value, ctx): unknown[] => {
      if (value === undefined) return fail(ctx, DRF.required);
      if (value === null) return fail(ctx, DRF.null);
      // DRF treats a str or a dict as "not a list" too.
      if (!Array.isArray(value)) return fail(ctx, DRF.notAList(pythonTypeName(value)));
      if (options.maxItems !== undefined && value.length > options.maxItems) return fail(ctx, DRF.maxItems(options.maxItems));
      return value;
    })
    .pipe(z.array(child))
    .meta({
      type: 'array',
      ...(options.maxItems !== undefined ? { maxItems: options.maxItems } : {}),
      ...(options.description ? { description: options.description } : {}),
    });
}

/**
 * A nested DRF serializer (or the top-level one): a dict whose unknown keys are dropped.
 * A non-dict value is reported under `non_field_errors`, as DRF does (see `toDrfErrors`).
 */
export function serializer<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object(shape, {
    error: (issue) => {
      if (issue.code !== 'invalid_type') return undefined;
      return issue.input === null ? DRF.null : DRF.notADict(pythonTypeName(issue.input));
    },
  });
}

/** A DRF error dict: `{"field": ["message"]}`, nested for nested serializers. */
export interface DrfErrors {
  [field: string]: string[] | DrfErrors;
}

/**
 * Turn zod issues into DRF's error dict. Only issues raised by the builders above (and by
 * `serializer`) reach here, so each message already is DRF's text.
 */
export function toDrfErrors(issues: readonly z.core.$ZodIssue[]): DrfErrors {
  const errors: DrfErrors = {};
  for (const issue of issues) {
    const path = issue.path.map(String);
    const message = issue.message;
    // A nested serializer's "not a dict" is reported under its non_field_errors; "may not be null"
    // belongs to the field itself.
    if (issue.code === 'invalid_type' && issue.expected === 'object' && message !== DRF.null) path.push('non_field_errors');
    if (path.length === 0) {
      path.push('non_field_errors');
      // The whole body was null: DRF's serializer says "No data provided", not a field's message.
      if (message === DRF.null) {
        addError(errors, path, DRF.noData);
        continue;
      }
    }
    addError(errors, path, message);
  }
  return errors;
}

function addError(errors: DrfErrors, path: string[], message: string): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    const existing = errors[head];
    if (Array.isArray(existing)) existing.push(message);
    else errors[head] = [message];
    return;
  }
  const existing = errors[head];
  const child: DrfErrors = existing && !Array.isArray(existing) ? existing : {};
  errors[head] = child;
  addError(child, rest, message);
}
