/** Quotes a string for a POSIX shell: the result is one word whatever it contains. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `export K='v'; ...` lines; names are validated by the tool schemas before they get here. */
export function envExports(env: Readonly<Record<string, string>> | undefined): string {
  if (!env) return '';
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${shQuote(v)}; `)
    .join('');
}

/**
 * The script an attached command runs under. It reports its process group on stderr first (sshd makes the
 * session shell a process group leader), then replaces itself with bash (or sh where bash is missing),
 * so killing that group kills the command and everything it started.
 */
export function attachedScript(
  command: string,
  opts: { cwd?: string | undefined; env?: Readonly<Record<string, string>> | undefined },
  marker: string,
): string {
  const cd = opts.cwd ? `cd -- ${shQuote(opts.cwd)} || exit 126; ` : '';
  const inner = shQuote(command);
  return (
    `printf '${marker}%s\\n' "$$" >&2; ${cd}${envExports(opts.env)}` +
    `if command -v bash >/dev/null 2>&1; then exec bash -c ${inner}; else exec sh -c ${inner}; fi`
  );
}
