/**
 * What the classifier sees of a shell script: a flat list of units (simple commands, and the redirects, assignments
 * and unreadable pieces that stand apart from one). Nothing here depends on the parser that produced it.
 */

export interface ShellWord {
  /** The word as written in the source. */
  readonly raw: string;
  /** What the program receives once quotes and escapes are removed; null when an expansion decides it at run time. */
  readonly value: string | null;
  /** An unquoted glob or brace pattern: the shell may turn the word into other words. */
  readonly pattern: boolean;
}

export interface ShellRedirect {
  readonly raw: string;
  /** `>`, `>>`, `<`, `&>`, `>&`, `<<`, `<<<`, … */
  readonly op: string;
  /** The file a redirect opens; null for heredocs, herestrings and a target that is not a plain word. */
  readonly target: ShellWord | null;
}

export interface ShellAssignment {
  readonly raw: string;
  readonly name: string;
  /** The value as the shell stores it (one per element for an array); null where an expansion decides it. */
  readonly values: readonly (string | null)[];
}

export type ShellUnit =
  | {
      readonly kind: 'command';
      readonly text: string;
      readonly assignments: readonly ShellAssignment[];
      /** The command name followed by its arguments. */
      readonly words: readonly ShellWord[];
      readonly redirects: readonly ShellRedirect[];
    }
  | { readonly kind: 'redirect'; readonly text: string; readonly redirect: ShellRedirect }
  | { readonly kind: 'assignment'; readonly text: string; readonly assignment: ShellAssignment }
  | { readonly kind: 'unreadable'; readonly text: string; readonly why: string };

export interface ShellScript {
  readonly source: string;
  readonly units: readonly ShellUnit[];
}

/** Turns a script into units; implemented over tree-sitter-bash in parse-script.ts. */
export interface ShellParser {
  parse(source: string): ShellScript;
}
