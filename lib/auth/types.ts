/**
 * @module
 * The shapes pup stores — the token payload of the design document and the DCR answer — as
 * the auth layer and those above name them. They are defined in `lib/store/types.ts` (the store
 * holds them, and a layer imports only down).
 */
export {
  type ClientCredentials,
  DEFAULT_ORG_KEY,
  type SiteState,
  type Token,
} from "../store/types.ts";
