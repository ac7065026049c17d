/** Waiting for the delivery queue, and backends for the gateway's tests. */
import type { Harness } from './harness.ts';

/** Until the delivery queue is empty (every row delivered or dropped), or `timeoutMs` passes. */
export async function queueDrained(h: Harness, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await h.services.db.kysely.selectFrom('deliveries').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    if (Number(left.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`the delivery queue still holds ${left.n} rows`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
