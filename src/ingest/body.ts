/**
 * Request bodies as SDKs send them: raw bytes in any content type, possibly compressed
 * (`Content-Encoding: gzip`, `deflate`, `br`), never larger than the configured limit once
 * decompressed either, so a small bomb cannot expand into memory.
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

async function inflateEither(input: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    return await run(inflate, input, maxBytes);
  } catch (error) {
    // Some clients send raw deflate without the zlib wrapper.
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw error;
    return run(inflateRaw, input, maxBytes);
  }
}

/** The body as it came when it came unencoded (no promise on the hot path), else decoded. */
export function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxBytes: number): BodyResult | Promise<BodyResult> {
  if (contentEncoding === undefined || contentEncoding === '' || contentEncoding === 'identity') return { ok: true, body: raw };
  return decodeEncoded(raw, contentEncoding, maxBytes);
}

async function decodeEncoded(raw: Buffer, contentEncoding: string, maxBytes: number): Promise<BodyResult> {
  const encodings = contentEncoding
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '' && e !== 'identity');
  let body = raw;
  try {
    // Encodings are listed in the order they were applied; undo them last first.
    for (const encoding of encodings.reverse()) {
      if (encoding === 'gzip' || encoding === 'x-gzip') body = await run(gunzip, body, maxBytes);
      else if (encoding === 'deflate') body = await inflateEither(body, maxBytes);
      else if (encoding === 'br') body = await run(brotliDecompress as Decoder, body, maxBytes);
      else return ingestFailure('invalid_body', { causes: [`unsupported content encoding "${encoding}"`] });
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      return ingestFailure('too_large', { causes: [`the decompressed body exceeds ${maxBytes} bytes`] });
    }
    return ingestFailure('invalid_body', { causes: [`cannot decode the ${encodings.join(', ')} body`] });
  }
  return { ok: true, body };
}
