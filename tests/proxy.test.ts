import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { isLoopbackHost, noProxyMatches, proxyFor } from "../lib/api/proxy.ts";
import { proxyAwareFetch } from "../lib/runtime/proxy_fetch.ts";
import { runtimeName } from "../lib/runtime/process.ts";
import { startFakeDatadog } from "./fakes/datadog.ts";

// ---- NO_PROXY matching and proxy choice (pure)

test("NO_PROXY star exempts every host", () => {
  assert.ok(noProxyMatches("api.datadoghq.com", "443", "*"));
  assert.ok(noProxyMatches("example.org", "80", "foo, *"));
});

test("a NO_PROXY host matches itself and its subdomains but not look-alikes", () => {
  assert.ok(noProxyMatches("datadoghq.com", "443", "datadoghq.com"));
  assert.ok(noProxyMatches("api.datadoghq.com", "443", "datadoghq.com"));
  assert.ok(!noProxyMatches("evildatadoghq.com", "443", "datadoghq.com"));
  assert.ok(!noProxyMatches("datadoghq.com.evil.net", "443", "datadoghq.com"));
});

test("leading dots and star-dots in NO_PROXY mean a domain suffix", () => {
  assert.ok(noProxyMatches("api.datadoghq.eu", "443", ".datadoghq.eu"));
  assert.ok(noProxyMatches("datadoghq.eu", "443", ".datadoghq.eu"));
  assert.ok(noProxyMatches("api.us5.datadoghq.com", "443", "*.datadoghq.com"));
  assert.ok(!noProxyMatches("datadoghq.eu.example", "443", ".datadoghq.eu"));
});

test("a NO_PROXY entry with a port matches only that port", () => {
  assert.ok(noProxyMatches("proxy.corp", "8443", "proxy.corp:8443"));
  assert.ok(!noProxyMatches("proxy.corp", "443", "proxy.corp:8443"));
  assert.ok(noProxyMatches("::1", "8080", "[::1]:8080"));
});

test("NO_PROXY entries may be separated by commas or spaces, in any case", () => {
  assert.ok(noProxyMatches("b.example", "443", "a.example  B.EXAMPLE"));
  assert.ok(noProxyMatches("c.example", "443", " a.example,,c.example ,"));
  assert.ok(!noProxyMatches("d.example", "443", ""));
});

test("NO_PROXY IPv4 addresses and CIDR blocks match addresses", () => {
  assert.ok(noProxyMatches("10.1.2.3", "443", "10.0.0.0/8"));
  assert.ok(!noProxyMatches("11.1.2.3", "443", "10.0.0.0/8"));
  assert.ok(noProxyMatches("192.168.1.7", "80", "192.168.1.7"));
  assert.ok(noProxyMatches("8.8.8.8", "80", "0.0.0.0/0"));
});

test("loopback hosts are recognised in every spelling", () => {
  for (const h of ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.5.6.7", "[::1]"]) {
    assert.ok(isLoopbackHost(h), h);
  }
  for (const h of ["localhost.example.com", "128.0.0.1", "10.0.0.1", "example.com"]) {
    assert.ok(!isLoopbackHost(h), h);
  }
});

test("the proxy is chosen by scheme, lower-case variables first, ALL_PROXY last", () => {
  const env = {
    HTTPS_PROXY: "http://upper:3128",
    https_proxy: "http://lower:3128",
    HTTP_PROXY: "http://plain:3128",
    ALL_PROXY: "http://all:3128",
  };
  assert.equal(proxyFor("https://api.datadoghq.com/x", env), "http://lower:3128");
  assert.equal(proxyFor("http://example.com/x", env), "http://plain:3128");
  assert.equal(
    proxyFor("https://api.datadoghq.com/x", { ALL_PROXY: "http://all:1" }),
    "http://all:1",
  );
  assert.equal(
    proxyFor("https://api.datadoghq.com/x", { HTTP_PROXY: "http://plain:1" }),
    undefined,
  );
  assert.equal(proxyFor("https://api.datadoghq.com/x", {}), undefined);
});

test("a proxy without a scheme is an http proxy", () => {
  assert.equal(
    proxyFor("https://api.datadoghq.com/", { HTTPS_PROXY: "proxy.corp:3128" }),
    "http://proxy.corp:3128",
  );
});

test("loopback sites never go through the proxy, whatever NO_PROXY says", () => {
  const env = { HTTP_PROXY: "http://proxy:3128", HTTPS_PROXY: "http://proxy:3128" };
  assert.equal(proxyFor("http://127.0.0.1:8123/api/v1/validate", env), undefined);
  assert.equal(proxyFor("http://localhost:8123/", env), undefined);
  assert.equal(proxyFor("http://[::1]:8123/", env), undefined);
});

test("NO_PROXY exempts a site from the proxy, with default ports per scheme", () => {
  const env = { HTTPS_PROXY: "http://proxy:3128", NO_PROXY: "datadoghq.eu:443,example.com:80" };
  assert.equal(proxyFor("https://api.datadoghq.eu/api/v1/validate", env), undefined);
  assert.equal(proxyFor("https://api.datadoghq.com/api/v1/validate", env), "http://proxy:3128");
  assert.equal(proxyFor("https://example.com/", env), "http://proxy:3128");
  assert.equal(
    proxyFor("https://api.datadoghq.eu/", { ...env, no_proxy: "other" }),
    "http://proxy:3128",
  );
});

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
