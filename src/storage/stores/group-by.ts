/**
 * Rows grouped under a key, each group in the rows' order and the keys in the order they first
 * appear (`Map.groupBy` with a value mapping; Node 20 has no `Map.groupBy`).
 */
export function groupBy<R, K, V>(rows: Iterable<R>, keyOf: (row: R) => K, valueOf: (row: R) => V): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(valueOf(row));
    else groups.set(key, [valueOf(row)]);
  }
  return groups;
}
