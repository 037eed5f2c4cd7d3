/**
 * @module
 * What `pup completion` offers, taken once from the command table handed in and
 * `GLOBAL_OPTIONS` (the same that `--help` shows): after each command path typed so far, the
 * subcommands or flags that may follow, with their descriptions (and the shells after
 * `completion`), and every flag spelling that takes a value, so a script knows to skip the word
 * after it.
 */
import { GLOBAL_OPTIONS } from "../cli/spec.ts";

/** The shells pup writes completion for. */
export const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;
export type Shell = typeof SHELLS[number];

/** A command as completion sees it: its words, summary and flags. */
export interface CommandEntry {
  path: readonly string[];
  summary?: string;
  options: Record<string, { type: string; short?: string; description: string }>;
}

/** Group word → one-line description (`auth`, `monitors`, …). */
export type Groups = Readonly<Record<string, string>>;

/** One word that may come next: a subcommand, a flag or a value. */
export interface Candidate {
  word: string;
  description: string;
}

/** Everything a script needs, taken from the table once. */
export interface Model {
  /** Command path ("" for none yet) → what may follow it. */
  next: Map<string, Candidate[]>;
  /** Every flag spelling that takes a value (`--org`, `-o`, …). */
  valueFlags: string[];
}

function flagCandidates(options: Record<string, CommandEntry["options"][string]>): Candidate[] {
  const out: Candidate[] = [];
  for (const [name, o] of Object.entries(options)) {
    out.push({ word: `--${name}`, description: o.description });
    if (o.short) out.push({ word: `-${o.short}`, description: o.description });
  }
  return out;
}

/** The model of the table; a flag name that is a value flag in one command and not another is a bug. */
export function completionModel(commands: readonly CommandEntry[], groups: Groups = {}): Model {
  const next = new Map<string, Candidate[]>();
  const add = (path: string, c: Candidate) => {
    const list = next.get(path) ?? [];
    if (!list.some((x) => x.word === c.word)) list.push(c);
    next.set(path, list);
  };
  const kinds = new Map<string, string>();
  for (const cmd of commands) {
    for (let i = 0; i < cmd.path.length; i++) {
      const prefix = cmd.path.slice(0, i).join(" ");
      const word = cmd.path[i];
      const leaf = i === cmd.path.length - 1;
      add(prefix, {
        word,
        description:
          (leaf ? cmd.summary : (Object.hasOwn(groups, word) ? groups[word] : undefined)) ?? word,
      });
    }
    const options = { ...GLOBAL_OPTIONS, ...cmd.options };
    for (const c of flagCandidates(options)) add(cmd.path.join(" "), c);
    if (cmd.path.length === 1 && cmd.path[0] === "completion") {
      for (const s of SHELLS) add("completion", { word: s, description: `${s} completion script` });
    }
    for (const [name, o] of Object.entries(options)) {
      for (const spelling of [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]) {
        const seen = kinds.get(spelling);
        if (seen && seen !== o.type) {
          throw new Error(`${spelling} is a ${seen} flag in one command and ${o.type} in another`);
        }
        kinds.set(spelling, o.type);
      }
    }
  }
  for (const c of flagCandidates(GLOBAL_OPTIONS)) add("", c);
  add("", { word: "--version", description: "print pup's version and commit" });
  const valueFlags = [...kinds].filter(([, t]) => t === "string").map(([f]) => f).sort();
  return { next, valueFlags };
}
