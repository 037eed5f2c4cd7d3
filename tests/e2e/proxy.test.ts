/**
 * Requests through a real loopback proxy (lib/runtime/proxy_fetch.ts): sockets, so end to end.
 * The NO_PROXY rules and the proxy choice are unit-tested in tests/proxy.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { proxyAwareFetch } from "../../lib/runtime/proxy_fetch.ts";
import { runtimeName } from "../../lib/runtime/process.ts";
import { startFakeDatadog } from "../fakes/datadog.ts";

// ---- Requests through a real (loopback) proxy

interface ProxyRecord {
  line: string;
  headers: Record<string, string>;
}

/** A tiny HTTP proxy on 127.0.0.1: forwards absolute-form requests to `upstream`, refuses CONNECT. */
async function startProxy(upstreamOrigin: string) {
  const seen: ProxyRecord[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffer = "";
    socket.on("data", async (chunk) => {
      buffer += chunk.toString("latin1");
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [line, ...rest] = buffer.slice(0, end).split("\r\n");
      buffer = "";
      const headers: Record<string, string> = {};
      for (const h of rest) {
        const i = h.indexOf(":");
        headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
      }
      seen.push({ line, headers });
      const [method, target] = line.split(" ");
      if (method === "CONNECT") {
        socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        return;
      }
      const url = new URL(target);
      const forward: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) {
        if (!["host", "proxy-authorization", "proxy-connection", "connection"].includes(k)) {
          forward[k] = v;
        }
      }
      const res = await fetch(upstreamOrigin + url.pathname + url.search, {
        method,
        headers: forward,
      });
      const body = new Uint8Array(await res.arrayBuffer());
      socket.write(
        `HTTP/1.1 ${res.status} ${res.statusText}\r\ncontent-type: ${
          res.headers.get("content-type") ?? "text/plain"
        }\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
      );
      socket.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const proxySupported = runtimeName === "bun" || runtimeName === "deno";
const skip = proxySupported ? false : "Node's global fetch has no proxy option";
const KEYS = { "DD-API-KEY": "test-api-key", "DD-APPLICATION-KEY": "test-app-key" };

test("an http request goes through HTTP_PROXY in absolute form", { skip }, async () => {
  const fake = await startFakeDatadog();
  const proxy = await startProxy(fake.url);
  try {
    const f = proxyAwareFetch({ HTTP_PROXY: proxy.url });
    const target = `http://datadog.pup-proxy-test.invalid:${fake.url.split(":")[2]}`;
    const res = await f(`${target}/api/v1/validate`, { headers: KEYS });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { valid: true });
    assert.equal(proxy.seen.length, 1);
    assert.equal(proxy.seen[0].line, `GET ${target}/api/v1/validate HTTP/1.1`);
    assert.equal(fake.count("GET", "/api/v1/validate"), 1);
  } finally {
    await proxy.close();
    await fake.close();
  }
});

test("proxy credentials in the URL are sent as Proxy-Authorization", { skip }, async () => {
  const fake = await startFakeDatadog();
  const proxy = await startProxy(fake.url);
  try {
    const f = proxyAwareFetch({ http_proxy: `http://pup:s%40cret@127.0.0.1:${proxy.port}` });
    const res = await f(`http://datadog.pup-proxy-test.invalid/api/v1/validate`, { headers: KEYS });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(proxy.seen[0].headers["proxy-authorization"], `Basic ${btoa("pup:s@cret")}`);
  } finally {
    await proxy.close();
    await fake.close();
  }
});

test("an https request is tunnelled with CONNECT, so the proxy never sees its headers", {
  skip,
}, async () => {
  const fake = await startFakeDatadog();
  const proxy = await startProxy(fake.url);
  try {
    const f = proxyAwareFetch({ HTTPS_PROXY: proxy.url });
    await assert.rejects(
      f("https://api.pup-proxy-test.invalid/api/v1/validate", {
        headers: { authorization: "Bearer secret-token-value" },
      }),
    );
    assert.equal(proxy.seen.length, 1);
    assert.match(proxy.seen[0].line, /^CONNECT api\.pup-proxy-test\.invalid:443 HTTP\/1\.1$/);
    assert.ok(!JSON.stringify(proxy.seen).includes("secret-token-value"));
  } finally {
    await proxy.close();
    await fake.close();
  }
});

test("hosts listed in NO_PROXY and loopback sites bypass the proxy", { skip }, async () => {
  const fake = await startFakeDatadog();
  const proxy = await startProxy(fake.url);
  try {
    const env = { HTTP_PROXY: proxy.url, NO_PROXY: ".pup-proxy-test.invalid" };
    const f = proxyAwareFetch(env);
    // Direct to a host that does not resolve: fails without touching the proxy.
    await assert.rejects(f("http://datadog.pup-proxy-test.invalid/api/v1/validate"));
    // Loopback: direct to the fake.
    const res = await f(`${fake.url}/api/v1/validate`, { headers: KEYS });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(proxy.seen.length, 0);
    assert.equal(fake.count("GET", "/api/v1/validate"), 1);
  } finally {
    await proxy.close();
    await fake.close();
  }
});
