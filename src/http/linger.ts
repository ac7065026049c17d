/**
 * Lingering close, as nginx does it: a request answered before its body was read (a 413, or a
 * refusal decided on the headers alone) is answered with `Connection: close`; the writing side is
 * shut once the answer is out, and what the client still sends is read and discarded until its
 * body ends, twice the limit has arrived, or LINGER_MS pass; only then is the socket closed.
 * Closing at once makes the kernel answer the bytes the client is still sending with a reset, and
 * many clients then never read the answer (EPIPE, ECONNRESET). The connection is never reused: a
 * client may stop sending its body once it has the answer, and its next request must not be read
 * as the rest of this one.
 */
import type { IncomingMessage } from 'node:http';

export const LINGER_MS = 10_000;

const lingering = new WeakSet<object>();

/**
 * Before an answer is written: when the body is still arriving, drain it before the socket closes.
 * True when it lingers: the answer must then carry `Connection: close`.
 */
export function lingerIfUnread(raw: IncomingMessage, limitBytes: number): boolean {
  // `complete` is false only on a real request still receiving its body (not on `inject`'s).
  if (raw.complete !== false || raw.destroyed || lingering.has(raw) || typeof raw.socket?.destroySoon !== 'function') return false;
  lingering.add(raw);
  const socket = raw.socket;
  let discarded = 0;
  let drained = false;
  const destroy = () => {
    drained = true;
    clearTimeout(timer);
    socket.off('data', count);
    socket.destroy();
  };
  const timer = setTimeout(destroy, LINGER_MS);
  timer.unref();
  // Counted on the socket: Node may take the request's own 'data' listeners away to dump the body.
  const count = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 2 * limitBytes + 64 * 1024) destroy();
  };
  socket.on('data', count);
  let answered = false;
  // Not the request's 'close': Node emits it once the answer is written, with body still arriving.
  raw.once('end', () => {
    drained = true;
    if (answered) destroy();
  });
  socket.once('close', () => clearTimeout(timer));
  // Node closes a `Connection: close` socket as soon as the answer is written: shut only the
  // writing side then (the client sees the answer end), and the socket once the body is drained.
  const destroySoon = socket.destroySoon.bind(socket);
  socket.destroySoon = () => {
    answered = true;
    if (drained) return destroySoon();
    if (socket.writable) socket.end();
  };
  raw.resume();
  return true;
}
