/**
 * Request bodies as SDKs send them: raw bytes in any content type, possibly compressed
 * (`Content-Encoding: gzip`, `deflate`, `br`), never larger than the configured limit once
 * decompressed either, so a small bomb cannot expand into memory. At most MAX_ENCODING_LAYERS
 * layers: no SDK stacks encodings, and each layer costs a pass over up to the limit's bytes.
 * Decompression runs on libuv's thread pool, never on the event loop.
 */
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';
import { ingestFailure, type IngestFailure } from './errors.ts';

export type BodyResult = { ok: true; body: Buffer } | IngestFailure;

type Decoder = (input: Buffer, options: ZlibOptions, callback: (error: Error | null, result: Buffer) => void) => void;

function run(decoder: Decoder, input: Buffer, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    decoder(input, { maxOutputLength: maxBytes }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** zlib or raw deflate, at most `maxBytes` out (ERR_BUFFER_TOO_LARGE beyond), off the event loop. */
export async function inflateEither(input: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    return await run(inflate, input, maxBytes);
  } catch (error) {
    // Some clients send raw deflate without the zlib wrapper.
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw error;
    return run(inflateRaw, input, maxBytes);
  }
}

export const MAX_ENCODING_LAYERS = 2;

export type Encoding = 'gzip' | 'deflate' | 'br';
const ENCODINGS: Record<string, Encoding> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'br' };

/** A Content-Encoding header's layers in the order they were applied, or why it cannot be decoded. */
export type EncodingList = { ok: true; layers: Encoding[] } | IngestFailure;

const IDENTITY: EncodingList = { ok: true, layers: [] };

/** Read before the body is: an encoding that cannot be decoded is refused without reading it. */
export function contentEncodings(header: string | undefined): EncodingList {
  if (header === undefined || header === '' || header === 'identity') return IDENTITY;
  // No SDK sends more than one layer; a header listing hundreds is refused before it is split.
  if (header.length > 64) return ingestFailure('invalid_body', { causes: [`at most ${MAX_ENCODING_LAYERS} content encodings are accepted`] });
  const layers: Encoding[] = [];
  for (const name of header.split(',')) {
    const trimmed = name.trim().toLowerCase();
    if (trimmed === '' || trimmed === 'identity') continue;
    const encoding = ENCODINGS[trimmed];
    if (!encoding) return ingestFailure('invalid_body', { causes: [`unsupported content encoding "${trimmed.slice(0, 32)}"`] });
    layers.push(encoding);
  }
  if (layers.length > MAX_ENCODING_LAYERS) return ingestFailure('invalid_body', { causes: [`at most ${MAX_ENCODING_LAYERS} content encodings are accepted`] });
  return { ok: true, layers };
}

/** The body as it came when it came unencoded (no promise on the hot path), else decoded. */
export function decodeBody(raw: Buffer, layers: readonly Encoding[], maxBytes: number): BodyResult | Promise<BodyResult> {
  if (layers.length === 0) return { ok: true, body: raw };
  return decodeEncoded(raw, layers, maxBytes);
}

async function decodeEncoded(raw: Buffer, layers: readonly Encoding[], maxBytes: number): Promise<BodyResult> {
  let body = raw;
  try {
    // Encodings are listed in the order they were applied; undo them last first.
    for (const encoding of [...layers].reverse()) {
      if (encoding === 'gzip') body = await run(gunzip, body, maxBytes);
      else if (encoding === 'deflate') body = await inflateEither(body, maxBytes);
      else body = await run(brotliDecompress as Decoder, body, maxBytes);
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      return ingestFailure('too_large', { causes: [`the decompressed body exceeds ${maxBytes} bytes`] });
    }
    return ingestFailure('invalid_body', { causes: [`cannot decode the ${layers.join(', ')} body`] });
  }
  return { ok: true, body };
}
