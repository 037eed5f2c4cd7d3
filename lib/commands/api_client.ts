/**
 * @module
 * The API client the commands use: {@link ApiClient} whose failures for a non-2xx answer carry
 * the answer's HTTP status (`PupError.status`), which `-o json` reports as
 * `{"error": {…, "status"}}`. A stopgap for one concern: once `responseError` in
 * `lib/api/errors.ts` sets `status` itself, commands use `ApiClient` directly and this file
 * goes.
 */
import { ApiClient, type ApiResponse } from "../api/client.ts";
import { PupError } from "../errors.ts";

/**
 * `err` with `status` set (a copy: a {@link PupError}'s fields are read-only).
 *
 * @example
 * withStatus(new PupError("api", "request GET /x failed: 404"), 404).status; // 404
 */
export function withStatus(err: unknown, status: number): unknown {
  if (!(err instanceof PupError) || err.status !== undefined) return err;
  return new PupError(err.code, err.message, {
    hint: err.hint,
    cause: err.cause,
    exitCode: err.exitCode,
    display: err.display,
    status,
  });
}

/** An {@link ApiClient} whose HTTP failures carry their status. */
export class StatusApiClient extends ApiClient {
  override async check(res: ApiResponse): Promise<ApiResponse> {
    try {
      return await super.check(res);
    } catch (err) {
      throw withStatus(err, res.status);
    }
  }
}
