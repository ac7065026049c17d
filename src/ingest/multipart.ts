/**
 * Just enough multipart/form-data to find a named field in a buffered body (minidump uploads).
 * Every step is a forward scan (Buffer.indexOf, or one pass over a header line), so the cost is
 * linear in the body's size whatever it holds: no regex runs over request bytes.
 */

export interface FormPart {
  name: string;
  filename: string | undefined;
  data: Buffer;
}

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');
const DISPOSITION = 'content-disposition:';

export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
  const params = headerParams(contentType, contentType.indexOf(';'));
  const boundary = params.get('boundary');
  // RFC 2046: 1 to 70 characters.
  return boundary && boundary.length <= 70 ? boundary : undefined;
}

/**
 * `; key=value; key="quoted value"` parameters from `start` to the end of `line`, in one pass.
 * Later duplicates do not replace earlier ones.
 */
export function headerParams(line: string, start: number): Map<string, string> {
  const params = new Map<string, string>();
  if (start < 0) return params;
  let i = start;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ';' || line[i] === ' ' || line[i] === '\t')) i++;
    const keyStart = i;
    while (i < n && line[i] !== '=' && line[i] !== ';') i++;
    const key = line.slice(keyStart, i).trim().toLowerCase();
    if (line[i] !== '=') continue;
    i++;
    let value: string;
    if (line[i] === '"') {
      let end = i + 1;
      while (end < n && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      value = line.slice(i + 1, Math.min(end, n)).replace(/\\(.)/g, '$1');
      i = end + 1;
    } else {
      const valueStart = i;
      while (i < n && line[i] !== ';') i++;
      value = line.slice(valueStart, i).trim();
    }
    if (key !== '' && !params.has(key)) params.set(key, value);
  }
  return params;
}

/** The `name` and `filename` of a part's Content-Disposition header, if it has a name. */
function disposition(headers: string): { name: string; filename: string | undefined } | undefined {
  for (const line of headers.split('\r\n')) {
    if (line.length < DISPOSITION.length || line.slice(0, DISPOSITION.length).toLowerCase() !== DISPOSITION) continue;
    const params = headerParams(line, DISPOSITION.length);
    const name = params.get('name');
    if (name !== undefined) return { name, filename: params.get('filename') };
  }
  return undefined;
}

/** The parts of the body, or undefined when it is not well-formed multipart. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.concat([CRLF, delimiter]);
  let position = body.indexOf(delimiter);
  if (position < 0) return undefined;
  const parts: FormPart[] = [];
  for (;;) {
    position += delimiter.length;
    // "--" after a delimiter closes the body.
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return parts;
    const headersStart = body.indexOf(CRLF, position) + 2;
    if (headersStart < 2) return undefined;
    const headersEnd = body.indexOf(HEADERS_END, headersStart - 2);
    if (headersEnd < 0) return undefined;
    const next = body.indexOf(nextDelimiter, headersEnd + 4);
    if (next < 0) return undefined;
    const named = disposition(body.toString('utf8', headersStart, headersEnd));
    if (named) parts.push({ ...named, data: body.subarray(headersEnd + 4, next) });
    position = next + 2;
  }
}
