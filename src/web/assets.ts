/**
 * The page's static files (ES modules, entry app.js, and one stylesheet), read once at
 * start from `src/web/static/`, which ships in the package as it is: there is no build step for
 * them. Only the files listed here are served, so no request can name another file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** From src/web/assets.ts and from dist/web/assets.js alike, the package root is two levels up. */
const STATIC_DIR = new URL('../../src/web/static/', import.meta.url);

const FILES: Readonly<Record<string, string>> = {
  'api.js': 'text/javascript; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'chart.js': 'text/javascript; charset=utf-8',
  'dialogs.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'forms.js': 'text/javascript; charset=utf-8',
  'health.js': 'text/javascript; charset=utf-8',
  'key-card.js': 'text/javascript; charset=utf-8',
  'keys-page.js': 'text/javascript; charset=utf-8',
  'policy.js': 'text/javascript; charset=utf-8',
  'shell.js': 'text/javascript; charset=utf-8',
  'upstream.js': 'text/javascript; charset=utf-8',
  'usage.js': 'text/javascript; charset=utf-8',
  'widgets.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

export async function loadAssets(): Promise<ReadonlyMap<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const [name, contentType] of Object.entries(FILES)) {
    const body = await readFile(new URL(name, STATIC_DIR));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}
