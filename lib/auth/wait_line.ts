/**
 * @module
 * The waiting line of a login (issue 13): on a terminal, one line on stderr that shows the time
 * left and is redrawn in place every second, then cleared when the wait ends —
 * `Waiting for you to approve in the browser… 4:59 left (Ctrl-C to cancel)`. With no terminal
 * on stderr (or `TERM=dumb`) it is one plain line, with no `\r` and no escape codes; `NO_COLOR`
 * leaves it undimmed. Every timer comes from the clock it is given.
 */
import type { Clock, IO } from "../deps.ts";
import { CLEAR_LINE, type ControlWriter, DIM, type Line, UNDIM, writeErr } from "../text.ts";

/** A running waiting line. */
export interface WaitLine {
  /** Prints `line` above the waiting line (which is redrawn under it). */
  above(line: Line): void;
  /** Clears the line and stops its timer. */
  stop(): void;
}

/** What the line needs. */
export interface WaitLineDeps {
  /** Its cursor and dim codes go through `errControl` (lib/text.ts `Control`s). */
  io: Pick<IO, "err" | "stderrIsTTY"> & Pick<ControlWriter, "errControl">;
  clock: Pick<Clock, "now" | "sleep">;
  env: Readonly<Record<string, string | undefined>>;
}

/** `4:59`, `12:05`, `1:00:00` for a number of milliseconds (rounded up to the second). */
export function formatLeft(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Whether stderr takes cursor codes (a terminal, not `TERM=dumb`). */
export function isLiveTerminal(deps: {
  io: Pick<IO, "stderrIsTTY">;
  env: Readonly<Record<string, string | undefined>>;
}): boolean {
  return deps.io.stderrIsTTY && deps.env.TERM !== "dumb";
}

/** `line` followed by a newline. */
function withNewline(line: Line): Line {
  return typeof line === "string" ? line + "\n" : [...line, "\n"];
}

/**
 * Starts the line for a wait that ends at `deadline` (clock time). `live: false` forces the
 * plain form (used while pup reads a pasted URL, which a redraw would garble).
 */
export function startWaitLine(
  deps: WaitLineDeps,
  what: string,
  deadline: number,
  options: { live?: boolean } = {},
): WaitLine {
  const live = (options.live ?? true) && isLiveTerminal(deps);
  const { io, clock } = deps;
  if (!live) {
    io.err(`${what} (up to ${formatLeft(deadline - clock.now())}; Ctrl-C to cancel)…\n`);
    return { above: (line) => writeErr(io, withNewline(line)), stop: () => {} };
  }
  const dim = deps.env.NO_COLOR === undefined || deps.env.NO_COLOR === "";
  const text = (): Line => {
    const t = `${what}… ${formatLeft(deadline - clock.now())} left (Ctrl-C to cancel)`;
    return dim ? [CLEAR_LINE, DIM, t, UNDIM] : [CLEAR_LINE, t];
  };
  const ac = new AbortController();
  let stopped = false;
  const draw = () => writeErr(io, text());
  draw();
  void (async () => {
    while (!stopped) {
      // Wake on the next whole second of time left, so the line counts 4:59, 4:58, …
      const left = deadline - clock.now();
      const step = left > 0 ? ((left - 1) % 1000) + 1 : 1000;
      try {
        await clock.sleep(step, ac.signal);
      } catch {
        return;
      }
      if (!stopped) draw();
    }
  })();
  return {
    above(line) {
      if (stopped) return writeErr(io, withNewline(line));
      writeErr(io, [CLEAR_LINE]);
      writeErr(io, withNewline(line));
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      ac.abort();
      writeErr(io, [CLEAR_LINE]);
    },
  };
}
