/**
 * A project's colour (S:src/sentry/utils/colors.py `get_hashed_color`, used by `Project.color`):
 * the first 12 bits of the slug's MD5 pick a hue at 50% lightness and saturation.
 */
import { createHash } from 'node:crypto';

/** Python's `colorsys.hls_to_rgb`. */
function hlsToRgb(h: number, l: number, s: number): [number, number, number] {
  if (s === 0) return [l, l, l];
  const m2 = l <= 0.5 ? l * (1 + s) : l + s - l * s;
  const m1 = 2 * l - m2;
  return [v(m1, m2, h + 1 / 3), v(m1, m2, h), v(m1, m2, h - 1 / 3)];
}

function v(m1: number, m2: number, hue: number): number {
  const h = ((hue % 1) + 1) % 1;
  if (h < 1 / 6) return m1 + (m2 - m1) * h * 6;
  if (h < 0.5) return m2;
  if (h < 2 / 3) return m1 + (m2 - m1) * (2 / 3 - h) * 6;
  return m1;
}

export function hashedColor(text: string): string {
  const value = Number.parseInt(createHash('md5').update(text, 'utf8').digest('hex').slice(0, 3), 16);
  const rgb = hlsToRgb(value / 4096, 0.5, 0.5);
  return `#${rgb.map((c) => Math.trunc(c * 255).toString(16).padStart(2, '0')).join('')}`;
}
