/**
 * @module
 * Serving a fetch handler on a loopback address with the runtime's native server
 * (`Bun.serve` / `Deno.serve`): binding and the first request cost a few milliseconds.
 */

/** A running server. */
export interface Server {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Serves `handler` on `hostname:port`. */
export type Serve = (
  handler: (request: Request) => Response | Promise<Response>,
  options: { hostname: string; port: number },
) => Promise<Server>;

/** Thrown by {@link serveHttp} when the port is taken. */
export class AddressInUseError extends Error {
  constructor(readonly port: number) {
    super(`address in use: port ${port}`);
    this.name = "AddressInUseError";
  }
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

function isAddrInUse(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  return e?.code === "EADDRINUSE" || e?.name === "AddrInUse" ||
    /address (already )?in use|EADDRINUSE/i.test(e?.message ?? "");
}

/** The real {@link Serve}. */
export const serveHttp: Serve = async (handler, { hostname, port }) => {
  if (g.Bun) {
    let server;
    try {
      server = g.Bun.serve({ hostname, port, fetch: handler, reusePort: false });
    } catch (err) {
      if (isAddrInUse(err)) throw new AddressInUseError(port);
      throw err;
    }
    return {
      port: server.port as number,
      close: async () => {
        await server.stop(true);
      },
    };
  }
  if (g.Deno) {
    const ac = new AbortController();
    let server;
    try {
      server = g.Deno.serve({ hostname, port, signal: ac.signal, onListen() {} }, handler);
    } catch (err) {
      if (isAddrInUse(err)) throw new AddressInUseError(port);
      throw err;
    }
    return {
      port: server.addr.port as number,
      close: async () => {
        ac.abort();
        await server.finished;
      },
    };
  }
  return await serveNode(handler, hostname, port);
};

async function serveNode(
  handler: (request: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<Server> {
  const http = await import("node:http");
  const server = http.createServer(async (req, res) => {
    const chunks: Uint8Array[] = [];
    for await (const c of req) chunks.push(c as Uint8Array);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string") headers.set(k, v);
      else if (Array.isArray(v)) { for (const x of v) headers.append(k, x); }
    }
    const body = chunks.length && req.method !== "GET" && req.method !== "HEAD"
      ? Buffer.concat(chunks)
      : undefined;
    const request = new Request(`http://${req.headers.host ?? hostname}${req.url}`, {
      method: req.method,
      headers,
      body,
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(isAddrInUse(err) ? new AddressInUseError(port) : err));
    server.listen(port, hostname, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
