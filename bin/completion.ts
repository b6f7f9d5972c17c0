// `mcp-ops completion bash|zsh`: a completion script from the command table.
import { COMMANDS, GLOBAL, type CommandSpec } from './command-table.ts';

/** `mcp-ops completion bash|zsh`: completes command words and each command's options. */
export function completionScript(shell: string): string {
  const words = [...new Set([...COMMANDS.map((c) => c.name.split(' ')[0]!), 'help', 'completion'])];
  const subs = new Map<string, string[]>();
  for (const c of COMMANDS) {
    const [first, second] = c.name.split(' ');
    if (second) subs.set(first!, [...(subs.get(first!) ?? []), second]);
  }
  const optionsOf = (spec: CommandSpec) =>
    Object.keys({ ...GLOBAL, ...spec.options })
      .map((o) => `--${o}`)
      .join(' ');
  const cases = COMMANDS.map((c) => `    "${c.name}") opts="${optionsOf(c)}" ;;`).join('\n');
  const subCases = [...subs].map(([w, list]) => `    ${w}) subs="${list.join(' ')}" ;;`).join('\n');
  const body = `_mcp_ops() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" first="\${COMP_WORDS[1]}" second="\${COMP_WORDS[2]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${words.join(' ')}" -- "$cur") ); return
  fi
  local subs="" opts=""
  case "$first" in
${subCases}
  esac
  if [ "$COMP_CWORD" -eq 2 ] && [ -n "$subs" ] && [[ "$cur" != -* ]]; then
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") ); return
  fi
  case "$first $second" in
${cases.replace(/^ {4}"([a-z]+)"\)/gm, '    "$1 "*)')}
  esac
  if [ -z "$opts" ]; then
    case "$first" in
${cases}
    esac
  fi
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}`;
  if (shell === 'bash')
    return `# mcp-ops bash completion: source <(mcp-ops completion bash)\n${body}\ncomplete -F _mcp_ops mcp-ops`;
  // zsh runs bash completions through bashcompinit.
  return `# mcp-ops zsh completion: source <(mcp-ops completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${body}\ncomplete -F _mcp_ops mcp-ops`;
}
