import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  apiBase,
  appBase,
  isDatadogOwned,
  isDatadogOwnedHostname,
  parseSite,
} from "../lib/auth/site.ts";
import { originAllowed } from "../lib/auth/trust.ts";
import { MAX_EXPIRES_IN_S, tokenFromAnswer } from "../lib/auth/token_answer.ts";
import { pollIntervalMs } from "../lib/auth/device.ts";
import { PupError } from "../lib/errors.ts";

/** Characters a hostile site value is made of: host characters and every URL delimiter. */
const siteChars = fc.constantFrom(
  ..."abcdz019.-:/?#@\\_ [] %\t\n".split(""),
  ".datadoghq.com",
  "127.0.0.1",
  "evil.example",
  "https://",
  "app.",
);
const hostileSite = fc.array(siteChars, { maxLength: 12 }).map((parts) => parts.join(""));

test("fuzz: a site either fails validation as invalid_site or builds URLs on itself", () => {
  fc.assert(
    fc.property(hostileSite, (raw) => {
      let site: string;
      try {
        site = parseSite(raw, "fuzz");
      } catch (err) {
        assert.ok(err instanceof PupError && err.code === "invalid_site", String(err));
        return;
      }
      const api = new URL(apiBase(site));
      const app = new URL(appBase(site));
      // The URL's host is the site itself, or api./app. of a canonical site: never another host.
      for (const [u, prefix] of [[api, "api."], [app, "app."]] as const) {
        assert.ok(u.host === site || u.host === `${prefix}${site}`, `${raw} → ${u.href}`);
      }
      // Datadog ownership by text and by the parsed host agree.
      assert.equal(isDatadogOwned(site), isDatadogOwnedHostname(api.hostname), raw);
    }),
    { numRuns: 2000 },
  );
});

test("fuzz: no URL that parses to a host outside Datadog's domains is allowed without opt-in", () => {
  fc.assert(
    fc.property(hostileSite, (tail) => {
      let url: URL;
      try {
        url = new URL(`https://${tail}`);
      } catch {
        return;
      }
      if (originAllowed(url, { all: false, trusted: [] })) {
        assert.ok(isDatadogOwnedHostname(url.hostname), url.href);
        assert.equal(url.username + url.password, "", url.href);
      }
    }),
    { numRuns: 2000 },
  );
});

test("fuzz: a token answer of any shape gives a valid token or a clear oauth_http error", () => {
  const value = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.constantFrom("Infinity", "-Infinity", "1e400", "NaN", "1e300", "", null, true, [], {}),
  );
  fc.assert(
    fc.property(
      fc.record({
        access_token: fc.oneof(fc.string(), value),
        refresh_token: fc.oneof(fc.string(), value),
        expires_in: value,
        token_type: value,
        scope: value,
      }, { requiredKeys: [] }),
      (answer) => {
        let token;
        try {
          token = tokenFromAnswer(answer as Record<string, unknown>, 0, {
            what: "token refresh",
            status: 200,
            scope: "s",
            refreshToken: "old",
          });
        } catch (err) {
          assert.ok(err instanceof PupError && err.code === "oauth_http", String(err));
          return;
        }
        assert.ok(token.expires_in > 0 && token.expires_in <= MAX_EXPIRES_IN_S);
        assert.ok(Number.isFinite(Date.parse(token.expires_at)));
        assert.match(token.access_token, /^[\x21-\x7e]+$/);
        assert.ok(token.refresh_token);
      },
    ),
    { numRuns: 2000 },
  );
});

test("fuzz: any device interval is a wait of 1 s to 5 minutes", () => {
  fc.assert(
    fc.property(fc.oneof(fc.double(), fc.string(), fc.constantFrom(null, undefined)), (v) => {
      const ms = pollIntervalMs(v);
      assert.ok(ms >= 1_000 && ms <= 300_000, `${String(v)} → ${ms}`);
    }),
    { numRuns: 2000 },
  );
});

test("a normalised site builds its URLs: app.app.datadoghq.com stays app.datadoghq.com", () => {
  const site = parseSite("app.app.datadoghq.com");
  assert.equal(site, "app.datadoghq.com");
  assert.equal(apiBase(site), "https://app.datadoghq.com");
  assert.throws(() => apiBase("Datadoghq.com"), (e: PupError) => e.code === "invalid_site");
  assert.throws(() => apiBase("https://datadoghq.com"), (e: PupError) => e.code === "invalid_site");
});
