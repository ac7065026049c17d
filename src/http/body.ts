/**
 * Request bodies as Sentry's DRF parsers read them (REST_FRAMEWORK's JSONParser, MultiPartParser,
 * FormParser): JSON (`application/json` only: DRF's JSONParser does not claim other `+json` types,
 * so `application/vnd.api+json` is a 415 like any other type), HTML forms and multipart forms.
 * An empty body is an empty dict. Form fields are DRF's "HTML input": the last value of a repeated
 * key wins (Django's QueryDict), and `rateLimit.count` is the `count` of the nested `rateLimit`
 * (DRF's `parse_html_dict`). Prototype-polluting keys are dropped like any other unknown field;
 * JSON nested deeper than MAX_JSON_DEPTH is refused before it is parsed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../domain/json-depth.ts';
import { multipartBoundary, parseMultipart } from '../ingest/multipart.ts';
import { apiError } from './errors.ts';

function parseJson(text: string): unknown {
  if (text.trim() === '') return {};
  if (nestsDeeperThan(text)) throw apiError('json_parse_error', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return secureJson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (error) {
    throw apiError('json_parse_error', error instanceof Error ? error.message : 'invalid JSON');
  }
}

const POLLUTING_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** An uploaded file in a multipart body: never a string, so a string field refuses it. */
export interface UploadedFile {
  filename: string;
  size: number;
}

type HtmlValue = string | UploadedFile;
interface HtmlInput {
  [key: string]: HtmlValue | HtmlInput;
}

/**
 * Form fields as the serializers see them: `a.b` nests `b` under `a`, as many levels deep as the
 * key has dots; the last value of a repeated key wins.
 */
export function htmlInput(pairs: Iterable<readonly [string, HtmlValue]>): HtmlInput {
  const flat = new Map<string, HtmlValue>();
  for (const [key, value] of pairs) flat.set(key, value);
  const root: HtmlInput = Object.create(null) as HtmlInput;
  for (const [key, value] of flat) {
    const path = key.split('.');
    if (path.some((part) => POLLUTING_KEYS.has(part))) continue;
    let node = root;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      // A nested serializer reads only the dotted keys: they win over a plain value of the same name.
      if (next === undefined || typeof next === 'string' || 'filename' in next) node[part] = Object.create(null) as HtmlInput;
      node = node[part] as HtmlInput;
    }
    const last = path.at(-1) as string;
    const existing = node[last];
    if (existing !== undefined && typeof existing === 'object' && !('filename' in existing)) continue;
    node[last] = value;
  }
  return plain(root);
}

/** Ordinary objects again (the null-prototype ones only guarded the building). */
function plain(input: HtmlInput): HtmlInput {
  const out: HtmlInput = {};
  for (const [key, value] of Object.entries(input)) out[key] = typeof value === 'object' && !('filename' in value) ? plain(value) : value;
  return out;
}

function parseMultipartBody(request: FastifyRequest, body: Buffer): HtmlInput {
  const contentType = String(request.headers['content-type'] ?? '');
  const boundary = multipartBoundary(contentType);
  if (!boundary) throw apiError('multipart_parse_error', `Invalid boundary in multipart: None`);
  if (body.length === 0) return {};
  const parts = parseMultipart(body, boundary);
  if (!parts) throw apiError('multipart_parse_error', 'Invalid multipart body');
  return htmlInput(
    parts.map((part): [string, HtmlValue] => [
      part.name,
      part.filename === undefined ? part.data.toString('utf8') : { filename: part.filename, size: part.data.length },
    ]),
  );
}

export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJson(String(body)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, htmlInput(new URLSearchParams(String(body))));
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseMultipartBody(request, body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
