/**
 * @module
 * Help text for pup, a command group, or one command.
 */
import { COMMANDS, GROUPS } from "./commands.ts";
import { type CommandSpec, GLOBAL_OPTIONS, type OptionSpec, positionalUsage } from "./spec.ts";

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${
      o.valueName ? ` <${o.valueName}>` : ""
    }`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`);
}

/** Help for one command. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [
    spec.summary,
    "",
    "Usage:",
    `  pup ${spec.path.join(" ")}${
      positionalUsage(spec) ? ` ${positionalUsage(spec)}` : ""
    } [flags]`,
  ];
  if (spec.description) lines.push("", spec.description);
  if (spec.request) lines.push("", `Request: ${spec.request}`);
  if (spec.scopes?.length) lines.push(`Scopes:  ${spec.scopes.join(", ")}`);
  if (Object.keys(spec.options).length) lines.push("", "Flags:", ...optionLines(spec.options));
  lines.push("", "Global flags:", ...optionLines(GLOBAL_OPTIONS));
  if (spec.examples?.length) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines.join("\n") + "\n";
}

/** Help for a prefix of command words (`[]` is pup itself). */
export function groupHelp(prefix: string[]): string {
  const below = COMMANDS.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const entries = new Map<string, string>();
  for (const c of below) {
    const word = c.path[prefix.length];
    const isGroup = c.path.length > prefix.length + 1;
    if (!entries.has(word)) entries.set(word, isGroup ? GROUPS[word] ?? "" : c.summary);
  }
  const width = Math.max(...[...entries.keys()].map((k) => k.length));
  const title = prefix.length === 0
    ? "pup — a command-line tool for Datadog, with a secure OAuth2 login"
    : GROUPS[prefix[prefix.length - 1]] ?? "";
  const lines = [
    title,
    "",
    "Usage:",
    `  pup ${prefix.length ? prefix.join(" ") + " " : ""}<command> [flags]`,
    "",
    "Commands:",
    ...[...entries].map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    "",
    "Global flags:",
    ...optionLines(
      prefix.length === 0
        ? { ...GLOBAL_OPTIONS, version: { type: "boolean", description: "print pup's version" } }
        : GLOBAL_OPTIONS,
    ),
  ];
  lines.push(
    "",
    `Run 'pup ${prefix.length ? prefix.join(" ") + " " : ""}<command> --help' for more.`,
  );
  return lines.join("\n") + "\n";
}
