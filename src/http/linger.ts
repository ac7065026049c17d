/**
 * Lingering close, as nginx does it: a request answered before its body was read (413, or refused
 * on its headers) keeps being read, and what arrives is discarded, until the body ends, twice the
 * limit has arrived, or LINGER_MS pass. Closing at once would make the kernel answer the bytes the
 * client is still sending with a reset, and many clients then never read the answer (EPIPE).
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';

export const LINGER_MS = 10_000;

export function discardRestOfBody(reply: FastifyReply, limitBytes: number): void {
  const raw: IncomingMessage = reply.request.raw;
  // Fastify asks for the connection to close after a body error; the close is ours, once drained.
  reply.removeHeader('connection');
  if (raw.complete || raw.destroyed) return;
  const socket = raw.socket;
  let discarded = 0;
  const timer = setTimeout(() => socket.destroySoon(), LINGER_MS);
  timer.unref();
  raw.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 2 * limitBytes) {
      clearTimeout(timer);
      socket.destroy();
    }
  });
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
  raw.resume();
}
