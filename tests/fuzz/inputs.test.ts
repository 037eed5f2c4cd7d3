/**
 * Property-based fuzzing (fast-check) of the parsers fed from the user: site values, org
 * names, callback queries and pasted callback URLs. Each input gives a value or a clear
 * PupError — never a TypeError, never a hang.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { PupError } from "../../lib/errors.ts";
import { apiBase, appBase, isDatadogOwned, normalizeSite } from "../../lib/auth/site.ts";
import { isOrgName, validateOrgName } from "../../lib/session/identity.ts";
import { judgeCallback, outcomeError } from "../../lib/auth/callback.ts";
import { tally } from "./tally.ts";

const RUNS = 400;
let inputs = 0;

/** Runs `fn`; a thrown error must be a PupError with a lower-case message and no trailing period. */
function clear<T>(fn: () => T): T | PupError {
  try {
    return fn();
  } catch (err) {
    assert.ok(err instanceof PupError, `not a PupError: ${(err as Error)?.stack ?? err}`);
    assert.match(err.message, /^[^A-Z]/, err.message);
    assert.doesNotMatch(err.message, /\.$/, err.message);
    return err;
  }
}

const SITE_PIECES = [
  "datadoghq.com",
  "datadoghq.eu",
  "us3.",
  "app.",
  "api.",
  "www.",
  "https://",
  "http://",
  "/",
  "?",
  "#",
  "@",
  "\\",
  "_",
  " ",
  "\t",
  ":",
  ":443",
  ":0",
  ":65536",
  ":8080",
  "..",
  ".",
  "-",
  "[::1]",
  "127.0.0.1",
  "localhost",
  "user@",
  "%2e",
  "\u202e",
  "\x1b",
  "é",
  "xn--",
  "\u3002",
  "\uff0e",
];
const siteLike = fc.oneof(
  fc.array(fc.constantFrom(...SITE_PIECES), { maxLength: 8 }).map((a) => a.join("")),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
);

/** The host:port a URL built from the site goes to, as WHATWG URL parsing sees it. */
function hostOf(url: string): string {
  const u = new URL(url);
  return u.host;
}

test("every site value is accepted as a clean host[:port] or refused with a PupError", () => {
  fc.assert(
    fc.property(siteLike, (raw) => {
      inputs++;
      const r = clear(() => normalizeSite(raw));
      if (r instanceof PupError) {
        assert.equal(r.code, "invalid_site");
        return;
      }
      assert.match(r, /^(\[::1\]|[a-z0-9.-]+)(:[0-9]{1,5})?$/, r);
      // CONTRACT §1 drops ONE leading app./api./www. label, so only such a result changes when
      // normalised again (`www.api.datadoghq.com` → `api.datadoghq.com` → `datadoghq.com`).
      const label = /^(app|api|www)\./.exec(r);
      const again = clear(() => normalizeSite(r));
      if (!label) assert.equal(again, r, "a result without such a label is its own normal form");
      else if (!(again instanceof PupError)) assert.equal(again, r.slice(label[0].length));
    }),
    { numRuns: RUNS },
  );
});

test(
  "every accepted site is the host its URLs go to (parsed origin = site)",
  () => {
    fc.assert(
      fc.property(siteLike, (raw) => {
        const r = clear(() => normalizeSite(raw));
        if (r instanceof PupError) return;
        // The parsed origin is the site itself: nothing in it can move the request elsewhere.
        for (const base of [apiBase(r), appBase(r)]) {
          // The host as text (what the trust rule judged) must be the host URL parsing sees.
          // A port is dropped only where it is the scheme's default (https 443, http 80):
          // `localhost:443` is http://localhost:443, whose host keeps the port.
          const textual = base.startsWith("https://")
            ? base.slice(8).replace(/:443$/, "")
            : base.replace(/^http:\/\//, "").replace(/:80$/, "");
          assert.equal(hostOf(base), textual, `${raw} → ${base}`);
          assert.equal(new URL(base).pathname, "/");
          assert.equal(new URL(base).username + new URL(base).password, "");
        }
        if (isDatadogOwned(r)) {
          const h = new URL(apiBase(r)).hostname;
          assert.ok(
            /(^|\.)(datadoghq\.com|datadoghq\.eu|ddog-gov\.com|datad0g\.com)$/.test(h),
            `owned by its text but not by its parsed host: ${raw} → ${h}`,
          );
        }
      }),
      // localhost:443 (a loopback site on http's non-default port) failed the test once, by
      // seed -1668189890: the test took :443 for a default port on http.
      { numRuns: RUNS, examples: [["localhost:443"], ["127.0.0.1:80"], ["datadoghq.com:443"]] },
    );
    for (const raw of ["xn--", "1.2.3.4.5", "0x7f.1", "0177.0.0.1", "2130706433"]) {
      const r = clear(() => normalizeSite(raw));
      if (typeof r === "string") assert.equal(hostOf(apiBase(r)), r, raw);
    }
  },
);

test("every org name is accepted exactly when it follows the rule, else a usage error", () => {
  const orgLike = fc.oneof(
    fc.string({ maxLength: 70 }),
    fc.stringMatching(/^[A-Za-z0-9._-]{0,66}$/),
    fc.constantFrom(
      "constructor",
      "__proto__",
      "toString",
      "valueOf",
      "hasOwnProperty",
      "__default__",
    ),
  );
  fc.assert(
    fc.property(orgLike, (org) => {
      inputs++;
      const r = clear(() => validateOrgName(org));
      if (r instanceof PupError) {
        assert.equal(r.code, "usage");
        assert.equal(isOrgName(org), false);
        // The value is echoed neutralised: no control or bidi character in the message.
        // deno-lint-ignore no-control-regex
        assert.doesNotMatch(r.message, /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
      } else {
        assert.equal(r, org);
        assert.ok(isOrgName(org));
        assert.ok(org.length >= 1 && org.length <= 64 && !org.startsWith("."));
      }
    }),
    { numRuns: RUNS },
  );
});

const STATE = "expected-state-0123456789abcdef";
const queryValue = fc.oneof(
  fc.constant(STATE),
  fc.string({ maxLength: 30 }),
  fc.constantFrom("access_denied", "\x1b]0;x\x07", "\u202e", "%00", "&state=", ""),
);
const query = fc.array(
  fc.tuple(
    fc.constantFrom("state", "code", "error", "error_description", "x", "STATE"),
    queryValue,
  ),
  { maxLength: 6 },
);

test("every callback query is judged: a code, an error, or a state mismatch", () => {
  fc.assert(
    fc.property(query, (pairs) => {
      inputs++;
      const q = new URLSearchParams();
      for (const [k, v] of pairs) q.append(k, v);
      const outcome = judgeCallback(q, STATE);
      assert.ok(["code", "error", "state_mismatch"].includes(outcome.kind));
      if (q.get("state") !== STATE) assert.equal(outcome.kind, "state_mismatch");
      if (outcome.kind === "code") assert.ok(outcome.code.length > 0);
      const err = clear(() => outcomeError(outcome));
      if (outcome.kind !== "code") assert.ok(err instanceof PupError);
      if (err instanceof PupError) {
        // deno-lint-ignore no-control-regex
        assert.doesNotMatch(err.message, /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
      }
    }),
    { numRuns: RUNS },
  );
});

test("every pasted callback URL is parsed or refused, never a crash", () => {
  const pasted = fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    query.map((pairs) =>
      `http://127.0.0.1:8000/callback?${
        pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
      }`
    ),
    fc.string({ maxLength: 60 }).map((s) => `http://127.0.0.1:8000/callback?${s}`),
    fc.string({ maxLength: 60 }),
  );
  fc.assert(
    fc.property(pasted, (text) => {
      inputs++;
      // As login.ts reads a pasted line: a URL, its origin and path checked, then judged.
      let url: URL | undefined;
      try {
        url = new URL(text.trim());
      } catch {
        return;
      }
      const outcome = judgeCallback(url.searchParams, STATE);
      assert.ok(["code", "error", "state_mismatch"].includes(outcome.kind));
    }),
    { numRuns: RUNS },
  );
  tally({ suite: "fuzz/inputs", inputs });
});
