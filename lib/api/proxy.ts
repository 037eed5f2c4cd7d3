/**
 * @module
 * Which proxy a request goes through: re-exported from `lib/runtime/proxy_env.ts`, where the
 * proxy-aware fetch (runtime layer) can use it without importing upwards.
 */
export { isLoopbackHost, noProxyMatches, proxyFor } from "../runtime/proxy_env.ts";
