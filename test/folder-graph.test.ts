/**
 * The way a request goes shows in the folders (routes → services → storage), so the graph of which
 * folder imports which must have no cycle: a cycle is where two layers have started to lean on each
 * other. Read from the source as text, every relative import of every module under src/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'(\.{1,2}\/[^']+)'/g;

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * A module's layer: its top folder below src/ (a folder's subfolders are part of it), or, for the
 * files at the top (config, the composition root, the server), the file itself.
 */
const folderOf = (file: string) => relative(SRC, file).split('/')[0] as string;

/** folder → the folders its modules import from (itself left out). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of modules(SRC)) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = folderOf(resolve(dirname(file), match[1] as string));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** Every cycle's folders in order, found by depth-first search (empty when there is none). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

describe('the folder graph', () => {
  it('has no cycle', () => {
    const graph = folderGraph();
    expect(graph.size).toBeGreaterThan(10);
    expect(graph.get('ingest')).toContain('gateway');
    expect(cycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('keeps the layers in order: storage and domain import no layer above them', () => {
    const graph = folderGraph();
    const above = ['routes', 'http', 'services', 'ingest', 'gateway', 'cli', 'web', 'loader'];
    for (const [folder, edges] of graph) {
      if (folder !== 'storage' && folder !== 'domain') continue;
      expect([...edges].filter((to) => above.includes(to)), folder).toEqual([]);
    }
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c', 'a']]);
  });
});
