/**
 * @module
 * Runs the fake Datadog on 127.0.0.1 until killed, for benchmarks and README demos:
 * `bun tests/fakes/datadog_server.ts [--port N] [--public-client] [--access-token-ttl SECONDS]`.
 * Prints one JSON line `{"site":"127.0.0.1:PORT","url":"http://127.0.0.1:PORT"}` on stdout once
 * it is listening, so a script can read the address before it starts pup.
 */
import process from "node:process";
import { startFakeDatadog } from "./datadog.ts";

function usage(message: string): never {
  console.error(`datadog_server: ${message}`);
  console.error(
    "usage: datadog_server.ts [--port N] [--public-client] [--access-token-ttl SECONDS]",
  );
  process.exit(2);
}

const args = process.argv.slice(2);
let port = 0;
let publicClient = false;
let accessTokenTtlSeconds: number | undefined;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const [flag, inline] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
  const value = () => inline ?? args[++i] ?? usage(`${flag} needs a value`);
  if (flag === "--port") {
    port = Number(value());
    if (!Number.isInteger(port) || port < 0 || port > 65535) usage("--port must be 0–65535");
  } else if (flag === "--public-client") {
    publicClient = true;
  } else if (flag === "--access-token-ttl") {
    accessTokenTtlSeconds = Number(value());
    if (!Number.isInteger(accessTokenTtlSeconds) || accessTokenTtlSeconds < 1) {
      usage("--access-token-ttl must be a positive integer");
    }
  } else {
    usage(`unknown argument ${arg}`);
  }
}

const fake = await startFakeDatadog({ port, publicClient, accessTokenTtlSeconds });
console.log(JSON.stringify({ site: fake.site, url: fake.url }));

// Close the socket cleanly on Ctrl-C / kill, so the port is free at once for the next run.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    fake.close().finally(() => process.exit(0));
  });
}
