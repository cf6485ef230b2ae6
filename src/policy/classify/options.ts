import type { ShellWord } from '../shell/types.js';

/** The options a wrapper accepts before the command it runs. */
export interface OptionSpec {
  /** Single-letter flags that take no value. */
  readonly flags?: string;
  /** Single-letter options that take a value (attached, `-uroot`, or the next word, `-u root`). */
  readonly valued?: string;
  readonly longFlags?: readonly string[];
  /** Long options that take a value (`--user=root` or `--user root`). */
  readonly longValued?: readonly string[];
  /** `NAME=value` words may come before the command (env, sudo). */
  readonly assignments?: boolean;
  /** `-10` (nice) is an option. */
  readonly numeric?: boolean;
  /** `+e` style options (sh). */
  readonly plus?: boolean;
}

export interface ScannedOptions {
  /** Every option seen, by its letter or long name (without dashes), with its value when it has one. */
  readonly options: readonly { readonly name: string; readonly value?: string }[];
  readonly assignments: readonly string[];
  /** Index of the first operand (the command, for a wrapper). */
  readonly operandAt: number;
  /** Set when the options cannot be read with certainty: the caller must then fail closed. */
  readonly problem?: string;
}

/**
 * Reads options the way getopt does, stopping at the first operand or `--`. An option not in the spec is a
 * problem rather than a guess: guessing wrong about whether it takes a value would mistake its value for the command.
 */
export function scanOptions(args: readonly ShellWord[], spec: OptionSpec): ScannedOptions {
  const options: { name: string; value?: string }[] = [];
  const assignments: string[] = [];
  const fail = (i: number, problem: string): ScannedOptions => ({ options, assignments, operandAt: i, problem });
  let i = 0;
  while (i < args.length) {
    const w = args[i]!;
    const v = w.value;
    if (v === null) return fail(i, `${w.raw} is decided at run time`);
    if (v === '--') {
      // sudo and env still take NAME=value words after `--` (`sudo -- FOO=1 rm x` runs rm): the command is the
      // first word that is not one.
      let j = i + 1;
      for (; spec.assignments && j < args.length; j++) {
        const a = args[j]!.value;
        if (a === null || !/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) break;
        assignments.push(a.slice(0, a.indexOf('=')));
      }
      return { options, assignments, operandAt: j };
    }
    if (spec.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
      assignments.push(v.slice(0, v.indexOf('=')));
      i++;
      continue;
    }
    if (v.startsWith('--') && v.length > 2) {
      const eq = v.indexOf('=');
      const name = eq > 0 ? v.slice(2, eq) : v.slice(2);
      if (spec.longValued?.includes(name)) {
        if (eq > 0) options.push({ name, value: v.slice(eq + 1) });
        else {
          const next = args[i + 1];
          if (!next) return fail(i, `${v} needs a value`);
          if (next.value === null) return fail(i, `${next.raw} is decided at run time`);
          options.push({ name, value: next.value });
          i++;
        }
      } else if (spec.longFlags?.includes(name) && eq < 0) options.push({ name });
      else return fail(i, `the option ${v} is not one deckhand knows`);
      i++;
      continue;
    }
    const plus = spec.plus && v.startsWith('+') && v.length > 1;
    if (!(v.startsWith('-') && v.length > 1) && !plus) return { options, assignments, operandAt: i };
    if (spec.numeric && /^-\d+$/.test(v)) {
      options.push({ name: 'n', value: v.slice(1) });
      i++;
      continue;
    }
    for (let k = 1; k < v.length; k++) {
      const letter = v[k]!;
      if (spec.valued?.includes(letter)) {
        const attached = v.slice(k + 1);
        if (attached) options.push({ name: letter, value: attached });
        else {
          const next = args[i + 1];
          if (!next) return fail(i, `-${letter} needs a value`);
          if (next.value === null) return fail(i, `${next.raw} is decided at run time`);
          options.push({ name: letter, value: next.value });
          i++;
        }
        break;
      }
      if (!spec.flags?.includes(letter)) return fail(i, `the option -${letter} is not one deckhand knows`);
      options.push({ name: letter });
    }
    i++;
  }
  return { options, assignments, operandAt: i };
}

export function hasOption(scanned: ScannedOptions, ...names: string[]): boolean {
  return scanned.options.some((o) => names.includes(o.name));
}

export function optionValue(scanned: ScannedOptions, ...names: string[]): string | undefined {
  return scanned.options.find((o) => names.includes(o.name))?.value;
}
