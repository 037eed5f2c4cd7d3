/**
 * @module
 * A fake {@link Clock}: time moves only when a test calls `advance`, so no test sleeps or
 * asserts a duration. Timers fire in order of their due time; `advance` lets the code under
 * test run between them.
 *
 * @example
 * const clock = new FakeClock();
 * const done = clock.sleep(5_000);
 * await clock.advance(5_000); // `done` is now resolved
 */
import { clampDelay, type Clock } from "../../lib/deps.ts";

interface Timer {
  due: number;
  seq: number;
  fire(): void;
}

/** Lets pending promise callbacks and I/O callbacks run (a macrotask turn, not a sleep). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A clock for tests: `now()` starts at `start` and moves only through `advance`. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer: Timer = {
        due: this.#now + clampDelay(ms),
        seq: this.#seq++,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  timeout(ms: number): AbortSignal {
    const ac = new AbortController();
    this.sleep(ms).then(() =>
      ac.abort(new DOMException("The operation timed out.", "TimeoutError"))
    );
    return ac.signal;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#timers
        .filter((t) => t.due <= end)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.due);
      next.fire();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  /** Fires the next timer whatever its due time (time jumps to it); false when none waits. */
  async runNext(): Promise<boolean> {
    await settle();
    const next = [...this.#timers].sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
    if (!next) return false;
    await this.advance(Math.max(0, next.due - this.#now));
    return true;
  }
}
