/**
 * @module
 * An in-memory {@link SecretStore} for tests. It records every call, in the order calls were
 * made, so a test can count reads or check that one write came after others.
 */
import type { SecretStore } from "../../lib/store/secret_store.ts";

/** One recorded call. */
export interface MemoryCall {
  op: "get" | "set" | "delete" | "probe" | "getMany";
  account: string;
}

/** A {@link SecretStore} kept in a `Map`. */
export class MemorySecretStore implements SecretStore {
  readonly name = "memory store";
  readonly maxValueBytes: number;
  /** The stored items, by account. */
  readonly items: Map<string, string> = new Map();
  /** Every call so far. */
  readonly calls: MemoryCall[] = [];
  /** Answer for {@link available}. */
  isAvailable = true;
  /** Claims that calls made together share one process, as Windows Credential Manager does. */
  readonly batchesCalls: boolean;
  /** Runs after every `get` has looked its item up: lets a test play a concurrent writer. */
  afterGet?: (account: string) => void;
  /** When set, every call fails with this error (a keychain that does not answer). */
  failWith?: Error;

  /** `getMany`, present only with the `getMany` option (one "process" for many items). */
  getMany?: (accounts: readonly string[]) => Promise<Map<string, string> | null>;

  constructor(
    maxValueBytes = 100,
    options: { batchesCalls?: boolean; getMany?: boolean } = {},
  ) {
    this.maxValueBytes = maxValueBytes;
    this.batchesCalls = options.batchesCalls ?? false;
    if (options.getMany) {
      this.getMany = (accounts) => {
        this.calls.push({ op: "getMany", account: accounts.join(",") });
        if (this.failWith) return Promise.reject(this.failWith);
        const found = new Map<string, string>();
        for (const a of accounts) {
          const v = this.items.get(a);
          if (v !== undefined) found.set(a, v);
        }
        return Promise.resolve(found);
      };
    }
  }

  /** The calls of one kind. */
  callsOf(op: MemoryCall["op"]): MemoryCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  get(account: string): Promise<string | null> {
    this.calls.push({ op: "get", account });
    if (this.failWith) return Promise.reject(this.failWith);
    const value = this.items.get(account) ?? null;
    this.afterGet?.(account);
    return Promise.resolve(value);
  }

  set(account: string, value: string): Promise<void> {
    this.calls.push({ op: "set", account });
    if (this.failWith) return Promise.reject(this.failWith);
    const bytes = new TextEncoder().encode(value).length;
    if (bytes > this.maxValueBytes) {
      return Promise.reject(
        new Error(`memory store: ${account} is ${bytes} bytes, over ${this.maxValueBytes}`),
      );
    }
    this.items.set(account, value);
    return Promise.resolve();
  }

  delete(account: string): Promise<boolean> {
    this.calls.push({ op: "delete", account });
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve(this.items.delete(account));
  }

  available(): Promise<boolean> {
    return Promise.resolve(this.isAvailable);
  }

  /** Null when {@link isAvailable}, else a reason; counts as a call of its own. */
  probe(): Promise<string | null> {
    this.calls.push({ op: "probe", account: "" });
    return Promise.resolve(this.isAvailable ? null : "the memory store is switched off");
  }
}
