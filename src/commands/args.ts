import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isJobId } from '../jobs/index.js';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** Strict parsing: a typo in a flag is an error, never silently ignored. */
export function parseCommand(args: string[], options: Options, usage: string, maxPositionals: number): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(describeParseError(err), usage);
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).join(' ');
    throw new UsageError(`Unexpected argument "${extra}".`, usage);
  }
  return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
}

function describeParseError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = e.message ?? String(err);
  // Node's messages are long-winded about positionals; keep the part that names the option.
  const quoted = /'(-[^']*)'/.exec(msg)?.[1] ?? '';
  // "'-f, --follow'" and "'--tail <value>'" both name the option by their last dashed word.
  const opt = quoted
    .split(/[ ,]+/)
    .filter((w) => w.startsWith('-'))
    .at(-1);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && opt) return `Unknown option "${opt}".`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && opt) {
    if (/argument missing/.test(msg)) return `Option "${opt}" needs a value.`;
    if (/ambiguous/.test(msg)) return `Option "${opt}" needs a value (for one starting with "-", write ${opt}=-X).`;
    return `Option "${opt}" takes no value.`;
  }
  return msg;
}

export function intOption(
  values: Parsed['values'],
  name: string,
  min: number,
  max: number,
  usage: string,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${String(raw)}".`, usage);
  }
  return n;
}

export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function oneOf<T extends string>(
  values: Parsed['values'],
  name: string,
  allowed: readonly T[],
  usage: string,
): T | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got "${v}".`, usage);
  }
  return v as T;
}

/** The job id argument, validated before it reaches the store or a file path. */
export function jobIdArgument(positionals: string[], usage: string): string {
  const id = positionals[0];
  if (id === undefined) throw new UsageError('Missing the job id.', usage);
  if (!isJobId(id)) {
    const shown = JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
    throw new UsageError(
      `${shown} is not a job id. Job ids look like job_01JD3Q8X5K2M7N4P6R8S0T2V4W; "deckhand jobs list" shows them.`,
    );
  }
  return id;
}
