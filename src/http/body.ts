/**
 * Request bodies as DRF's parsers read them: JSON (an empty body is an empty dict) and HTML form
 * encoding; any other content type is a 415. Prototype-polluting keys are dropped like any other
 * unknown field; JSON nested deeper than MAX_JSON_DEPTH is refused before it is parsed.
 */
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../domain/json-depth.ts';
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

function parseForm(text: string): Record<string, string> {
  const body = new Map<string, string>();
  // Django's QueryDict: the last value of a repeated key wins.
  for (const [key, value] of new URLSearchParams(text)) if (!POLLUTING_KEYS.has(key)) body.set(key, value);
  return Object.fromEntries(body);
}

export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  const json = (_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    try {
      done(null, parseJson(String(body)));
    } catch (error) {
      done(error as Error, undefined);
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, json);
  app.addContentTypeParser(/^application\/[\w.+-]+\+json$/, { parseAs: 'string' }, json);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(String(body)));
  });
}
