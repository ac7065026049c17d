/**
 * Lingering close, as nginx does it: a request answered before its body was read (a 413, or a
 * refusal decided on the headers alone) keeps being read and what arrives is discarded, until the
 * body ends, twice the limit has arrived, or LINGER_MS pass; only then is the socket closed.
 * Closing at once makes the kernel answer the bytes the client is still sending with a reset, and
 * many clients then never read the answer (EPIPE). A client that keeps the connection alive gets
 * it back once its body has been drained.
 */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const LINGER_MS = 10_000;

const lingering = new WeakSet<object>();

/** For an onSend hook: when the body is still arriving, drain it before the socket may close. */
export function lingerIfUnread(request: FastifyRequest, reply: FastifyReply, limitBytes: number): void {
  const raw = request.raw;
  if (raw.complete || raw.destroyed || lingering.has(raw)) return;
  lingering.add(raw);
  // Fastify asks for the connection to close after a body error; the close is ours, once drained.
  reply.removeHeader('connection');
  const socket: Socket = raw.socket;
  let discarded = 0;
  let drained = false;
  let closeWanted = false;
  const finish = () => {
    if (drained) return;
    drained = true;
    clearTimeout(timer);
    if (closeWanted) socket.destroy();
  };
  const timer = setTimeout(() => {
    closeWanted = true;
    finish();
  }, LINGER_MS);
  timer.unref();
  raw.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 2 * limitBytes) {
      closeWanted = true;
      finish();
    }
  });
  raw.once('end', finish);
  raw.once('close', finish);
  // Node closes the socket once the answer is written when the connection is not kept alive:
  // close the writing side then, and the socket only once the body is drained.
  const destroySoon = socket.destroySoon.bind(socket);
  socket.destroySoon = () => {
    if (drained) return destroySoon();
    closeWanted = true;
    if (socket.writable) socket.end();
  };
  raw.resume();
}
