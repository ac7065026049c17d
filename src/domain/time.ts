/**
 * Timestamps as Sentry's JSON encoder writes them: ISO-8601 UTC with microseconds and "Z"
 * (`strftime("%Y-%m-%dT%H:%M:%S.%fZ")`), e.g. "2026-01-29T17:41:02.969782Z".
 */
const originMicros = BigInt(Date.now()) * 1000n - process.hrtime.bigint() / 1000n;

export function nowMicros(): bigint {
  return originMicros + process.hrtime.bigint() / 1000n;
}

export function isoMicros(micros: bigint = nowMicros()): string {
  const millis = micros / 1000n;
  const base = new Date(Number(millis)).toISOString(); // 2026-01-29T17:41:02.969Z
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  return `${base.slice(0, 19)}.${fraction}Z`;
}

export function isoNow(): string {
  return isoMicros();
}

/** Seconds since the epoch of an ISO timestamp (for Retry-After, expiry checks). */
export function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

/** Milliseconds since the epoch with the microseconds as a fraction (Sentry's DateTimePaginator key). */
export function epochMillis(iso: string): number {
  const micros = /\.(\d{6})Z$/.exec(iso)?.[1];
  const whole = Date.parse(`${iso.slice(0, 19)}Z`);
  return micros === undefined ? Date.parse(iso) : whole + Number(micros) / 1000;
}
