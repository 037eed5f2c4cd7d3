/**
 * @module
 * One browser flow's wait (CONTRACT §5): the callback server on its port, the outcome (first
 * settle wins), the `--timeout` on the clock, and Ctrl-C/SIGTERM/SIGHUP — which abort the flow
 * at any point, the code exchange included, and exit with the signal's code (130/143/129).
 */
import { type Deps, type InterruptSignal, SIGNAL_EXIT_CODE } from "../deps.ts";
import { PupError } from "../errors.ts";
import type { Server } from "../runtime/serve.ts";
import { bindCallback, callbackApp, type CallbackOutcome } from "./callback.ts";
import { redirectUri } from "./oauth_client.ts";

/**
 * The error of a login the user interrupted: exit 128 + the signal's number, as a shell reports
 * a process that signal ended (SIGINT 130, SIGTERM 143, SIGHUP 129; SIGINT when not named).
 *
 * @example
 * interruptedError("SIGTERM").exitCode; // 143
 */
export function interruptedError(signal: InterruptSignal = "SIGINT"): PupError {
  return new PupError("authorization_denied", "login interrupted", {
    exitCode: SIGNAL_EXIT_CODE[signal] ?? SIGNAL_EXIT_CODE.SIGINT,
  });
}

/**
 * Runs `flow` with a signal that aborts on the first interrupt; ends with
 * {@link interruptedError} (that signal's exit code) at once then, even if the flow ignores it.
 *
 * @example
 * await interruptible(deps.host, (signal) => deviceLogin(ctx, req, { signal }));
 */
export async function interruptible<T>(
  host: Pick<Deps["host"], "onInterrupt">,
  flow: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const interrupt = new AbortController();
  let interrupted!: (err: PupError) => void;
  const stopped = new Promise<never>((_, reject) => (interrupted = reject));
  stopped.catch(() => {});
  const remove = host.onInterrupt((signal) => {
    const err = interruptedError(signal);
    interrupt.abort(err);
    interrupted(err);
  });
  try {
    const running = flow(interrupt.signal);
    running.catch(() => {});
    return await Promise.race([running, stopped]);
  } finally {
    remove();
  }
}

/** One flow's wait: the callback server, the outcome, the interrupt and the timeout. */
export interface Wait {
  server: Server;
  redirect: string;
  state: string;
  /** Settles the flow (first call wins). */
  settle(outcome: CallbackOutcome | PupError): void;
  finished: Promise<CallbackOutcome | PupError>;
  /** Rejects when the user interrupts, at any point of the flow. */
  interrupted: Promise<never>;
  /** Aborts when the user interrupts. */
  signal: AbortSignal;
  /** Aborts when the flow ends, however it ends. */
  ended: AbortSignal;
  /** Stops the timer and the interrupt handler. */
  end(): void;
}

/**
 * Binds the callback server for one flow and starts its timeout (through the clock) and its
 * interrupt handler; `end()` stops both.
 */
export async function openWait(
  ctx: { deps: Pick<Deps, "serve" | "host" | "clock"> },
  req: { pinnedPort: number | undefined; timeoutMs: number },
  state: string,
): Promise<Wait> {
  const { deps } = ctx;
  let settle!: (outcome: CallbackOutcome | PupError) => void;
  const finished = new Promise<CallbackOutcome | PupError>((r) => (settle = r));
  const server = await bindCallback(
    deps.serve,
    (port) => callbackApp(port, state, settle).fetch,
    req.pinnedPort,
  );
  const interrupt = new AbortController();
  const timer = new AbortController(); // aborts when the flow ends
  let interruptedReject!: (err: PupError) => void;
  const interrupted = new Promise<never>((_, reject) => (interruptedReject = reject));
  interrupted.catch(() => {});
  const removeInterrupt = deps.host.onInterrupt((signal) => {
    const err = interruptedError(signal);
    interrupt.abort(err);
    interruptedReject(err);
    settle(err);
  });
  deps.clock.sleep(req.timeoutMs, timer.signal).then(
    () =>
      settle(
        new PupError("callback_timeout", "timeout waiting for OAuth callback", {
          hint: "Run pup auth login again to restart the flow.",
        }),
      ),
    () => {},
  );
  return {
    server,
    redirect: redirectUri(server.port),
    state,
    settle,
    finished,
    interrupted,
    signal: interrupt.signal,
    ended: timer.signal,
    end() {
      timer.abort();
      removeInterrupt();
    },
  };
}
