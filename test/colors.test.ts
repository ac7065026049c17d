import { describe, expect, it } from 'vitest';
import { hashedColor } from '../src/domain/colors.ts';

describe("Sentry's project colour", () => {
  // Values printed by Python: get_hashed_color(slug) in S:src/sentry/utils/colors.py.
  it.each([
    ['web', '#bfaf3f'],
    ['backend', '#5c3fbf'],
    ['new-app', '#6e3fbf'],
    ['project-1', '#bf3f45'],
  ])('%s → %s', (slug, color) => {
    expect(hashedColor(slug)).toBe(color);
  });
});
