/**
 * @module
 * What this process holds in the config folder — lock files and the temp files of atomic
 * writes — and the one signal handler that gives it all back. While anything is held,
 * SIGINT, SIGTERM and SIGHUP remove every held file (a lock only while it still holds what this
 * process wrote) and end the process with the conventional code (130, 143, 129). `lock.ts` and
 * `files.ts` hold their files here, so every locked step (registration, refresh, the refresh
 * after an API 401, logout's revocation, any new command) releases on a signal without its call
 * site doing anything.
 */
import { closeSync, constants, openSync, readFileSync, rmSync } from "node:fs";

/** How signals reach this module, and how it ends the process (tests pass fakes). */
export interface SignalHooks {
  /** Registers a SIGINT/SIGTERM/SIGHUP handler (given the signal's name); returns its remover. */
  onInterrupt(handler: (signal?: string) => void): () => void;
  /** Ends the process with `code`. */
  exit(code: number): void;
}

/**
 * No signal handling: what a holder gets when no hooks are handed in (a test, a tool). pup's
 * commands always hand the process's hooks in (`ctx.lockDeps.signals`, lib/cli/context.ts).
 */
export const noSignals: SignalHooks = {
  onInterrupt: () => () => {},
  exit: () => {},
};

/** The exit code of a process ended by each signal (128 + its number). */
export const SIGNAL_EXIT_CODES: Readonly<Record<string, number>> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};

interface Held {
  path: string;
  /** Remove the file only while it holds exactly this (a lock of ours). */
  expected?: string;
}

const held = new Set<Held>();
let active: { hooks: SignalHooks; remove: () => void } | undefined;

/** Options of {@link holdFile}. */
export interface HoldOptions {
  /** Remove the file on a signal only while it holds exactly this text. */
  expected?: string;
  /** Where signals come from (default none: {@link noSignals}). */
  hooks?: SignalHooks;
}

/**
 * Holds `path` until the returned function is called: a signal in between removes it and ends
 * the process.
 *
 * @example
 * const release = holdFile(tmp);
 * try { await writeAndRename(tmp); } finally { release(); }
 */
export function holdFile(path: string, options: HoldOptions = {}): () => void {
  const entry: Held = { path, expected: options.expected };
  held.add(entry);
  // The first holder with real hooks installs the handler (one without any never blocks it).
  if (!active || (active.hooks === noSignals && options.hooks)) {
    active?.remove();
    const hooks = options.hooks ?? noSignals;
    active = { hooks, remove: hooks.onInterrupt(onSignal) };
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    held.delete(entry);
    if (held.size === 0) stopListening();
  };
}

/** How many files this process holds now (for tests). */
export function heldCount(): number {
  return held.size;
}

function stopListening(): void {
  active?.remove();
  active = undefined;
}

function onSignal(signal?: string): void {
  const hooks = active?.hooks ?? noSignals;
  removeHeld();
  hooks.exit(SIGNAL_EXIT_CODES[signal ?? ""] ?? SIGNAL_EXIT_CODES.SIGINT);
}

/** Removes every held file (synchronously: the process ends right after). */
function removeHeld(): void {
  for (const h of held) {
    try {
      if (h.expected === undefined || readNoFollow(h.path) === h.expected) {
        rmSync(h.path, { force: true });
      }
    } catch { /* gone already, or not ours any more */ }
  }
  held.clear();
  stopListening();
}

function readNoFollow(path: string): string {
  const fd = openSync(
    path,
    constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
  );
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}
