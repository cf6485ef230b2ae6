/**
 * Catalogue values may refer to deploy-time facts with {{domain}}, {{url}}, {{stack}}, {{host:APP}} and
 * {{port:APP}}. Anything else written as {{word}} or {{word:arg}} is a mistake in the catalogue; other
 * brace uses (Go templates such as {{.Task.Slot}}) do not match and pass through untouched.
 */
const PLACEHOLDER = /\{\{\s*([a-z]+)(?::([a-z0-9-]+))?\s*\}\}/g;

export type PlaceholderKind = 'domain' | 'url' | 'stack' | 'host' | 'port';

export interface PlaceholderUse {
  readonly raw: string;
  readonly kind: string;
  readonly arg: string | undefined;
}

const NEEDS_ARG: ReadonlySet<string> = new Set(['host', 'port']);
const NO_ARG: ReadonlySet<string> = new Set(['domain', 'url', 'stack']);

export function findPlaceholders(text: string): PlaceholderUse[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({ raw: m[0], kind: m[1] ?? '', arg: m[2] }));
}

/** Why a placeholder is malformed, or undefined when it is one deckhand knows. */
export function placeholderProblem(use: PlaceholderUse): string | undefined {
  if (NEEDS_ARG.has(use.kind)) {
    return use.arg === undefined ? `${use.raw} needs an app name, e.g. {{${use.kind}:postgres}}` : undefined;
  }
  if (NO_ARG.has(use.kind)) return use.arg === undefined ? undefined : `${use.raw} takes no argument`;
  return `${use.raw} is not a known placeholder (known: {{domain}}, {{url}}, {{stack}}, {{host:APP}}, {{port:APP}})`;
}

export interface PlaceholderContext {
  readonly stackName: string;
  readonly domain: string | undefined;
  /** Address of each dependency as other stacks reach it on the shared overlay network. */
  readonly endpoints: Readonly<Record<string, { host: string; port: number }>>;
}

export function fillPlaceholders(text: string, ctx: PlaceholderContext): string {
  return text.replace(PLACEHOLDER, (raw, kind: string, arg: string | undefined) => {
    switch (kind) {
      case 'stack':
        return ctx.stackName;
      case 'domain':
      case 'url': {
        // The schema only lets apps that require a domain use these, and render refuses to run without one.
        if (ctx.domain === undefined) throw new Error(`${raw} used without a domain`);
        return kind === 'url' ? `https://${ctx.domain}` : ctx.domain;
      }
      case 'host':
      case 'port': {
        const endpoint = arg === undefined ? undefined : ctx.endpoints[arg];
        if (!endpoint) throw new Error(`${raw} used without that dependency's endpoint`);
        return kind === 'host' ? endpoint.host : String(endpoint.port);
      }
      default:
        throw new Error(`${raw} is not a known placeholder`);
    }
  });
}
