import { test } from "node:test";
import assert from "node:assert/strict";
import {
  apiBase,
  appBase,
  CANONICAL_SITES,
  isDatadogOwned,
  normalizeSite,
  validateSubdomain,
} from "../lib/auth/site.ts";
import { PupError } from "../lib/errors.ts";
import { siteKey } from "../lib/store/state_store.ts";

test("every canonical site normalises to itself", () => {
  for (const s of CANONICAL_SITES) assert.equal(normalizeSite(s), s);
});

test("a site is trimmed, loses its scheme, trailing slash and one app./api./www. label", () => {
  assert.equal(normalizeSite("  https://app.datadoghq.eu/ "), "datadoghq.eu");
  assert.equal(normalizeSite("http://api.us5.datadoghq.com"), "us5.datadoghq.com");
  assert.equal(normalizeSite("www.datadoghq.com"), "datadoghq.com");
  assert.equal(normalizeSite("app.app.datadoghq.com"), "app.datadoghq.com");
  assert.equal(normalizeSite("www.api.datadoghq.com"), "api.datadoghq.com");
  assert.equal(normalizeSite("DatadogHQ.EU"), "datadoghq.eu");
});

test("a site may carry a port from 1 to 65535", () => {
  assert.equal(normalizeSite("127.0.0.1:8443"), "127.0.0.1:8443");
  assert.equal(normalizeSite("localhost:1"), "localhost:1");
  assert.equal(normalizeSite("[::1]:9000"), "[::1]:9000");
  for (
    const bad of ["127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:x", "a:01", "a:00080"]
  ) {
    assert.throws(
      () => normalizeSite(bad),
      (e: PupError) => e.exitCode === 2 && /port/.test(e.message),
    );
  }
});

test("a site with / ? # @ _ whitespace, empty labels or .. is a usage error naming the value", () => {
  for (
    const bad of [
      "datadoghq.com/x",
      "a?b",
      "a#b",
      "user@datadoghq.com",
      "my_site.com",
      "data dog.com",
      "a..b",
      ".datadoghq.com",
      "datadoghq.com.",
      "",
      "   ",
      "daté.com",
    ]
  ) {
    assert.throws(
      () => normalizeSite(bad),
      (e: PupError) =>
        e instanceof PupError && e.code === "invalid_site" && e.exitCode === 2 &&
        e.message.includes(`"${bad}"`),
      bad,
    );
  }
});

test("canonical sites use api. and app. hosts over https", () => {
  assert.equal(apiBase("datadoghq.eu"), "https://api.datadoghq.eu");
  assert.equal(appBase("datadoghq.eu"), "https://app.datadoghq.eu");
  assert.equal(apiBase("ddog-gov.com"), "https://api.ddog-gov.com");
});

test("any other host is used as it is, over https", () => {
  assert.equal(apiBase("dd.corp.example:8443"), "https://dd.corp.example:8443");
  assert.equal(appBase("dd.corp.example:8443"), "https://dd.corp.example:8443");
});

test("loopback hosts use http", () => {
  assert.equal(apiBase("127.0.0.1:9"), "http://127.0.0.1:9");
  assert.equal(appBase("localhost:9"), "http://localhost:9");
  assert.equal(apiBase("[::1]:9"), "http://[::1]:9");
});

test("the subdomain opens the authorize page on <name>.<site> only for canonical sites", () => {
  assert.equal(
    appBase("datadoghq.eu", validateSubdomain("acme", "datadoghq.eu")),
    "https://acme.datadoghq.eu",
  );
  assert.throws(() => validateSubdomain("acme", "127.0.0.1:9"), (e: PupError) => e.exitCode === 2);
  assert.throws(() => validateSubdomain("a.b", "datadoghq.eu"), (e: PupError) => e.exitCode === 2);
  assert.throws(() => validateSubdomain("-a", "datadoghq.eu"), (e: PupError) => e.exitCode === 2);
});

test("Datadog owns canonical sites and subdomains of its domains, nothing else", () => {
  assert.ok(isDatadogOwned("datadoghq.com"));
  assert.ok(isDatadogOwned("acme.datadoghq.com"));
  assert.ok(isDatadogOwned("foo.datad0g.com"));
  assert.ok(isDatadogOwned("x.ddog-gov.com:443"));
  assert.ok(!isDatadogOwned("datadoghq.com.evil.example"));
  assert.ok(!isDatadogOwned("evildatadoghq.com"));
  assert.ok(!isDatadogOwned("127.0.0.1:8000"));
});

test("the site key replaces characters outside [A-Za-z0-9.-] with _", () => {
  assert.equal(siteKey("datadoghq.com"), "datadoghq.com");
  assert.equal(siteKey("127.0.0.1:8443"), "127.0.0.1_8443");
  assert.equal(siteKey("[::1]:9000"), "___1__9000");
});
