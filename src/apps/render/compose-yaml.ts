import { stringify } from 'yaml';

/**
 * docker stack deploy interpolates ${VAR} and $VAR in the compose text from the shell that runs it.
 * deckhand never relies on that (values travel through .env), so every `$` it writes is escaped and
 * reaches the container as written, where a shell in CMD-SHELL or sh -c expands it.
 */
export function escapeDollars(text: string): string {
  return text.split('$').join('$$');
}

export function seconds(n: number): string {
  return `${n}s`;
}

/** Sorts a record by key so the rendered text does not depend on insertion order. */
export function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function toComposeYaml(headerLines: readonly string[], doc: unknown): string {
  // lineWidth 0: never fold long commands or rules, so a byte change means a real change.
  const body = stringify(doc, { lineWidth: 0, minContentWidth: 0, indent: 2 });
  return headerLines.map((line) => `# ${line}\n`).join('') + body;
}
