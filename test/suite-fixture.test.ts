/**
 * suiteFixture, the holder of what a suite's tests share: built once by the suite's beforeAll, read
 * through a typed object, cleaned up in reverse after the suite, and loud when read too early.
 */
import { describe, expect, it } from 'vitest';
import { suiteFixture } from './helpers/fixture.ts';

class Counter {
  #count = 0;
  next(): number {
    this.#count += 1;
    return this.#count;
  }
}

const events: string[] = [];
let setups = 0;
let earlyRead: unknown;

describe('a suite with a fixture', () => {
  const t = suiteFixture(async (onCleanup) => {
    setups += 1;
    events.push('first made');
    onCleanup(() => events.push('first cleaned'));
    events.push('second made');
    onCleanup(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push('second cleaned');
    });
    return { name: 'acme' };
  });
  // A fixture may be one object of a class: the holder is then that object.
  const counter = suiteFixture(async () => new Counter());
  try {
    earlyRead = t.name;
  } catch (error) {
    earlyRead = error;
  }

  it('is built once for the suite, before its first test', () => {
    expect(t.name).toBe('acme');
    expect(setups).toBe(1);
    expect(events).toEqual(['first made', 'second made']);
  });

  it('is one object for every test, its methods running on it (private fields and all)', () => {
    expect(counter.next()).toBe(1);
  });

  it('keeps its state from test to test', () => {
    expect(counter.next()).toBe(2);
    expect(setups).toBe(1);
  });

  it('refuses to be read before its beforeAll ran, naming what was read', () => {
    expect(earlyRead).toBeInstanceOf(Error);
    expect((earlyRead as Error).message).toBe("the suite's fixture was read (name) before its beforeAll ran");
  });
});

describe('after that suite', () => {
  it('has cleaned up, last made first, each cleanup awaited', () => {
    expect(events).toEqual(['first made', 'second made', 'second cleaned', 'first cleaned']);
  });
});
