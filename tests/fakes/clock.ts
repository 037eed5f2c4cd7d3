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
  /** A `timeout()` deadline: nobody waits on it, so {@link FakeClock.run} leaves it alone. */
  deadline: boolean;
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
  /** Called whenever a timer is added or removed (see {@link FakeClock.run}). */
  #watchers = new Set<() => void>();

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

  /** Milliseconds until the earliest timer falls due; undefined when none waits. */
  get nextDueIn(): number | undefined {
    const next = this.#earliest();
    return next && next.due - this.#now;
  }

  #earliest(): Timer | undefined {
    return [...this.#timers].sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
  }

  #changed(): void {
    for (const w of this.#watchers) w();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.#timer(ms, false, signal);
  }

  #timer(ms: number, deadline: boolean, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer: Timer = {
        due: this.#now + clampDelay(ms),
        seq: this.#seq++,
        deadline,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        this.#changed();
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
      this.#changed();
    });
  }

  timeout(ms: number): AbortSignal {
    const ac = new AbortController();
    this.#timer(ms, true).then(() =>
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

  /**
   * Runs `actors` (concurrent callers, e.g. processes racing for a lock) with no real-time
   * heuristic: time moves only when every actor still running waits on this clock — a sleep
   * each, so none is doing real I/O — and then every sleep due within `window` ms of the
   * earliest fires at once, so the actors it wakes race each other for real. Stops when all
   * have settled, or when the next timer falls due after `until` (time is then `until`). Every
   * actor must wait only on this clock's `sleep` or on real I/O, with one sleep at a time;
   * `timeout()` deadlines are not waits, so `run` never fires them (`advance` does).
   *
   * @example
   * const racers = [withSiteLock(dir, site, deps(clock), fn), withSiteLock(dir, site, deps(clock), fn)];
   * await clock.run(racers);
   */
  async run(actors: Promise<unknown>[], options: { window?: number; until?: number } = {}) {
    const { window = 10, until = Infinity } = options;
    let running = actors.length;
    let wake: (() => void) | undefined;
    const poke = () => wake?.();
    for (const a of actors) {
      a.then(() => {}, () => {}).finally(() => {
        running--;
        poke();
      });
    }
    this.#watchers.add(poke);
    try {
      while (running > 0) {
        const sleeps = this.#timers.filter((t) => !t.deadline);
        if (sleeps.length < running) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        const first = sleeps.sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
        if (first.due > until) break;
        const last = Math.min(first.due + window, until);
        const due = sleeps.filter((t) => t.due <= last);
        this.#timers = this.#timers.filter((t) => !due.includes(t));
        for (const t of due) {
          this.#now = Math.max(this.#now, t.due);
          t.fire();
        }
      }
    } finally {
      this.#watchers.delete(poke);
    }
    if (running > 0 && until !== Infinity) this.#now = Math.max(this.#now, until);
  }

  /** Fires the next timer whatever its due time (time jumps to it); false when none waits. */
  async runNext(): Promise<boolean> {
    await settle();
    const next = this.#earliest();
    if (!next) return false;
    await this.advance(Math.max(0, next.due - this.#now));
    return true;
  }
}

/**
 * A {@link FakeClock} whose sleeps end at once and are recorded in `waits` (time does not move):
 * for tests that check how long pup asks to wait (a Retry-After, a device interval), not what
 * happens meanwhile. Its `timeout()` deadlines never fire unless the test advances the clock.
 */
export class InstantClock extends FakeClock {
  readonly waits: number[] = [];

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.waits.push(ms);
    return Promise.resolve();
  }
}
