/**
 * @module
 * `pup completion bash|zsh|fish`: a completion script made from the command table, so it
 * never falls behind the commands and flags pup really has.
 */
import type { Context } from "../cli/context.ts";
import { COMMANDS } from "../cli/commands.ts";
import { type CommandInput, type CommandSpec, GLOBAL_OPTIONS } from "../cli/spec.ts";
import { ExitCode, usageError } from "../errors.ts";

function flagsOf(spec: CommandSpec): string[] {
  return Object.keys({ ...GLOBAL_OPTIONS, ...spec.options }).map((f) => `--${f}`);
}

/** Words that may follow `prefix` (subcommands). */
function nextWords(prefix: string[]): string[] {
  const words = COMMANDS.filter((c) =>
    prefix.every((w, i) => c.path[i] === w) && c.path.length > prefix.length
  )
    .map((c) => c.path[prefix.length]);
  return [...new Set(words)];
}

function bash(): string {
  const cases = COMMANDS.map((c) =>
    `    "${c.path.join(" ")}") words="${flagsOf(c).join(" ")}" ;;`
  );
  const groups = [...new Set(COMMANDS.filter((c) => c.path.length > 1).map((c) => c.path[0]))]
    .map((g) => `    "${g}") words="${nextWords([g]).join(" ")}" ;;`);
  return `# bash completion for pup (pup completion bash)
_pup() {
  local cur path="" w words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    path="\${path:+$path }$w"
  done
  case "$path" in
    "") words="${nextWords([]).join(" ")} --help --version" ;;
${groups.join("\n")}
${cases.join("\n")}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _pup pup
`;
}

function zsh(): string {
  return `#compdef pup
# zsh completion for pup (pup completion zsh)
autoload -U bashcompinit && bashcompinit
${bash()}`;
}

function fish(): string {
  const lines = ["# fish completion for pup (pup completion fish)", "complete -c pup -f"];
  for (const w of nextWords([])) lines.push(`complete -c pup -n "__fish_use_subcommand" -a ${w}`);
  for (const g of new Set(COMMANDS.filter((c) => c.path.length > 1).map((c) => c.path[0]))) {
    for (const w of nextWords([g])) {
      lines.push(`complete -c pup -n "__fish_seen_subcommand_from ${g}" -a ${w}`);
    }
  }
  for (const [name, o] of Object.entries(GLOBAL_OPTIONS)) {
    lines.push(
      `complete -c pup -l ${name}${o.short ? ` -s ${o.short}` : ""} -d '${
        o.description.replace(/'/g, "")
      }'`,
    );
  }
  for (const c of COMMANDS) {
    const cond = `__fish_seen_subcommand_from ${c.path[c.path.length - 1]}`;
    for (const [name, o] of Object.entries(c.options)) {
      lines.push(
        `complete -c pup -n "${cond}" -l ${name}${o.short ? ` -s ${o.short}` : ""}${
          o.type === "string" ? " -r" : ""
        } -d '${o.description.replace(/'/g, "")}'`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** Runs `pup completion <shell>`. */
export function run(ctx: Context, input: CommandInput): Promise<number> {
  const shell = input.positionals[0];
  const scripts: Record<string, () => string> = { bash, zsh, fish };
  if (!shell || !scripts[shell] || input.positionals.length > 1) {
    throw usageError(
      `expected one shell: bash, zsh or fish${
        shell ? `, found "${input.positionals.join(" ")}"` : ""
      }`,
      "example: pup completion bash > /etc/bash_completion.d/pup",
    );
  }
  ctx.deps.io.out(scripts[shell]());
  return Promise.resolve(ExitCode.ok);
}
