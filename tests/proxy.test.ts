import { test } from "node:test";
import assert from "node:assert/strict";
import { isLoopbackHost, noProxyMatches, proxyFor } from "../lib/api/proxy.ts";

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
