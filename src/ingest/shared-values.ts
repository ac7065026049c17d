/**
 * Values that many holders share, each held once and known by its number: found by the text it
 * was made from, counted by holder, and let go when its last holder releases it (so a project's
 * facts, changed a thousand times, are not a thousand entries).
 */
export class SharedValues<T> {
  private readonly numbers = new Map<string, number>();
  private values: T[] = [];
  private texts: string[] = [];
  private holders: number[] = [];
  private free: number[] = [];

  /** The number of the value made from `text`, made now if no one holds it; one more holder. */
  acquire(text: string, make: () => T): number {
    let number = this.numbers.get(text);
    if (number === undefined) {
      number = this.free.pop() ?? this.values.length;
      this.values[number] = make();
      this.texts[number] = text;
      this.holders[number] = 0;
      this.numbers.set(text, number);
    }
    this.holders[number] = (this.holders[number] as number) + 1;
    return number;
  }

  release(number: number): void {
    const left = (this.holders[number] as number) - 1;
    this.holders[number] = left;
    if (left > 0) return;
    this.numbers.delete(this.texts[number] as string);
    this.free.push(number);
  }

  value(number: number): T {
    return this.values[number] as T;
  }

  clear(): void {
    this.numbers.clear();
    this.values = [];
    this.texts = [];
    this.holders = [];
    this.free = [];
  }
}
