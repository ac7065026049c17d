/** Just enough multipart/form-data to find a named field in a buffered body (minidump uploads). */

export interface FormPart {
  name: string;
  filename: string | undefined;
  data: Buffer;
}

export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** The parts of the body, or undefined when it is not well-formed multipart. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  let position = body.indexOf(delimiter);
  if (position < 0) return undefined;
  const parts: FormPart[] = [];
  for (;;) {
    position += delimiter.length;
    // "--" after a delimiter closes the body.
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return parts;
    const headersStart = body.indexOf('\r\n', position) + 2;
    if (headersStart < 2) return undefined;
    const headersEnd = body.indexOf('\r\n\r\n', headersStart);
    if (headersEnd < 0) return undefined;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) return undefined;
    const headers = body.toString('utf8', headersStart, headersEnd);
    const disposition = /content-disposition:[^\r\n]*?\bname="([^"]*)"(?:[^\r\n]*?\bfilename="([^"]*)")?/i.exec(headers);
    if (disposition) parts.push({ name: disposition[1] ?? '', filename: disposition[2], data: body.subarray(headersEnd + 4, next) });
    position = next + 2;
  }
}
