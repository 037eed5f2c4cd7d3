/**
 * @module
 * The completion scripts of `pup completion`, one generator per shell, from the model of the
 * command table (`completion_model.ts`). Every script works the same way: it walks the words
 * typed so far, skipping flags and the value after a flag that takes one, to find the command
 * path (`auth login`), then offers that path's subcommands or flags — with their descriptions
 * where the shell shows them — and `table json yaml` after `-o/--output`.
 */
import {
  type CommandEntry,
  completionModel,
  type Groups,
  type Model,
  type Shell,
} from "./completion_model.ts";

const OUTPUT_FORMATS = ["table", "json", "yaml"];

/** The completion script for `shell`. */
export function completionScript(
  shell: Shell,
  commands: readonly CommandEntry[],
  groups: Groups = {},
): string {
  const model = completionModel(commands, groups);
  return { bash, zsh, fish, powershell }[shell](model);
}

/** Text inside single quotes in sh, zsh and fish: `'` closes, escapes and reopens. */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A single-quoted PowerShell string (`'` doubled). */
function psq(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Only plain words go into the scripts unquoted; the table never has anything else. */
function checkWord(word: string): string {
  if (!/^-{0,2}[A-Za-z0-9][A-Za-z0-9-]*$/.test(word)) {
    throw new Error(`not a plain word for a completion script: ${JSON.stringify(word)}`);
  }
  return word;
}

function bash(m: Model): string {
  const cases = [...m.next].map(([path, list]) =>
    `    ${sq(path)}) words=${sq(list.map((c) => checkWord(c.word)).join(" "))} ;;`
  );
  return `# bash completion for pup (pup completion bash)
_pup() {
  local cur prev path="" w words i skip=0
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      --*=*) continue ;;
      -*)
        case " ${m.valueFlags.map(checkWord).join(" ")} " in *" $w "*) skip=1 ;; esac
        continue ;;
    esac
    path="\${path:+$path }$w"
  done
  if ((skip)); then
    case "$prev" in
      --output | -o) COMPREPLY=($(compgen -W "${OUTPUT_FORMATS.join(" ")}" -- "$cur")) ;;
      *) COMPREPLY=() ;;
    esac
    return
  fi
  case "$path" in
${cases.join("\n")}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _pup pup
`;
}

function zsh(m: Model): string {
  const cases = [...m.next].map(([path, list]) => {
    const items = list.map((c) => sq(`${checkWord(c.word)}:${c.description}`)).join(" ");
    return `    ${sq(path)}) candidates=(${items}) ;;`;
  });
  return `#compdef pup
# zsh completion for pup (pup completion zsh): put it in a folder of $fpath as _pup
_pup() {
  local -a candidates value_flags
  local path_="" w i skip=0
  value_flags=(${m.valueFlags.map(checkWord).join(" ")})
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      --*=*) continue ;;
      -*) (( \${value_flags[(Ie)$w]} )) && skip=1; continue ;;
    esac
    path_="\${path_:+$path_ }$w"
  done
  if ((skip)); then
    case "\${words[CURRENT-1]}" in
      --output | -o) candidates=(${
    OUTPUT_FORMATS.join(" ")
  }); _describe -t values 'format' candidates ;;
      *) _default ;;
    esac
    return
  fi
  case "$path_" in
${cases.join("\n")}
    *) candidates=() ;;
  esac
  _describe -t commands 'pup' candidates
}
if [ "$funcstack[1]" = "_pup" ]; then
  _pup "$@"
else
  compdef _pup pup
fi
`;
}

function fish(m: Model): string {
  const lines = [
    "# fish completion for pup (pup completion fish): save as ~/.config/fish/completions/pup.fish",
    `set -g __pup_value_flags ${m.valueFlags.map(checkWord).join(" ")}`,
    "function __pup_path --description 'the pup command path typed so far'",
    "    set -l tokens (commandline -opc)",
    "    set -e tokens[1]",
    "    set -l path",
    "    set -l skip 0",
    "    for t in $tokens",
    "        if test $skip = 1",
    "            set skip 0",
    "            continue",
    "        end",
    "        switch $t",
    "            case '--*=*'",
    "                continue",
    "            case '-*'",
    "                if contains -- $t $__pup_value_flags",
    "                    set skip 1",
    "                end",
    "                continue",
    "        end",
    "        set -a path $t",
    "    end",
    "    string join ' ' -- $path",
    "end",
    "function __pup_at --description 'whether the command path typed so far is $argv'",
    "    set -l p (__pup_path)",
    '    test "$p" = "$argv"',
    "end",
    "complete -c pup -f",
  ];
  for (const [path, list] of m.next) {
    for (const c of list) {
      const cond = `-n ${sq(`__pup_at ${path}`.trimEnd())}`;
      const d = `-d ${sq(c.description)}`;
      const word = checkWord(c.word);
      if (word.startsWith("--")) {
        const name = word.slice(2);
        const value = m.valueFlags.includes(word);
        const values = name === "output" ? ` -a ${sq(OUTPUT_FORMATS.join(" "))}` : "";
        const kind = values ? " -x" : value ? " -r" : "";
        lines.push(`complete -c pup ${cond} -l ${name}${kind}${values} ${d}`);
      } else if (word.startsWith("-")) {
        const value = m.valueFlags.includes(word);
        const values = word === "-o" ? ` -a ${sq(OUTPUT_FORMATS.join(" "))}` : "";
        const kind = values ? " -x" : value ? " -r" : "";
        lines.push(`complete -c pup ${cond} -s ${word.slice(1)}${kind}${values} ${d}`);
      } else {
        lines.push(`complete -c pup ${cond} -a ${word} ${d}`);
      }
    }
  }
  return lines.join("\n") + "\n";
}

function powershell(m: Model): string {
  const entries = [...m.next].map(([path, list]) => {
    const items = list.map((c) => `${psq(checkWord(c.word))} = ${psq(c.description || c.word)}`)
      .join("; ");
    return `    ${psq(path)} = [ordered]@{ ${items} }`;
  });
  return `# PowerShell completion for pup (pup completion powershell): add to your $PROFILE, e.g.
#   pup completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName pup, pup.exe -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $valueFlags = @(${m.valueFlags.map((f) => psq(checkWord(f))).join(", ")})
  $next = @{
${entries.join("\n")}
  }
  $path = @()
  $skip = $false
  $previous = ''
  foreach ($element in @($commandAst.CommandElements | Select-Object -Skip 1)) {
    if ($element.Extent.StartOffset -ge $cursorPosition) { break }
    $text = $element.ToString()
    if ($element.Extent.EndOffset -ge $cursorPosition -and $text -eq $wordToComplete) { break }
    $previous = $text
    if ($skip) { $skip = $false; continue }
    if ($text.StartsWith('-')) {
      if ($text -notlike '--*=*' -and $valueFlags -contains $text) { $skip = $true }
      continue
    }
    $path += $text
  }
  if ($skip) {
    if ($previous -eq '--output' -or $previous -eq '-o') {
      foreach ($format in @(${OUTPUT_FORMATS.map(psq).join(", ")})) {
        if ($format -like "$wordToComplete*") {
          [System.Management.Automation.CompletionResult]::new($format, $format, 'ParameterValue', $format)
        }
      }
    }
    return
  }
  $candidates = $next[($path -join ' ')]
  if ($null -eq $candidates) { return }
  foreach ($candidate in $candidates.GetEnumerator()) {
    if ($candidate.Key -like "$wordToComplete*") {
      $kind = if ($candidate.Key.StartsWith('-')) { 'ParameterName' } else { 'ParameterValue' }
      [System.Management.Automation.CompletionResult]::new($candidate.Key, $candidate.Key, $kind, $candidate.Value)
    }
  }
}
`;
}
