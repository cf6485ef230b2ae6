import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { RecordedResponse } from './state.js';

/*
 * Checks what the fake sends (and what deckhand sends it) against Hetzner's published OpenAPI 3.0
 * description. OpenAPI 3.0 schemas are not plain JSON Schema: `nullable` becomes a "null" type, and
 * annotation keywords ajv does not know are dropped. Objects are closed (no undeclared properties) so
 * the fake cannot invent a field that deckhand would then come to rely on.
 */

export const SPEC_PATH = '/work/shared/reference/hetzner-cloud-openapi.json';

type Json = Record<string, unknown>;
type Operation = { requestBody?: Json; responses: Record<string, Json> };

const DROP = new Set(['example', 'examples', 'deprecated', 'discriminator', 'xml', 'externalDocs', 'nullable']);

// ajv-formats ships as CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

export class OpenApiChecker {
  readonly #spec: { paths: Record<string, Record<string, Operation>>; components?: Json };
  readonly #ajv: Ajv;
  readonly #cache = new Map<string, ValidateFunction>();
  readonly #templates: { template: string; regex: RegExp }[];

  constructor(specPath = SPEC_PATH) {
    this.#spec = JSON.parse(readFileSync(specPath, 'utf8'));
    this.#ajv = new Ajv({ strict: true, allErrors: true });
    addFormats(this.#ajv);
    // Hetzner sends prices as decimal strings ("3.4900000000").
    this.#ajv.addFormat('decimal', /^-?\d+(\.\d+)?$/);
    this.#templates = Object.keys(this.#spec.paths).map((template) => ({
      template,
      regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /** The spec's path template for a concrete path, preferring literal segments ("/servers/{id}"). */
  templateFor(path: string): string | undefined {
    const hits = this.#templates.filter((t) => t.regex.test(path));
    hits.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
    return hits[0]?.template;
  }

  /** Problems of one recorded exchange; empty when both request and response match the spec. */
  check(r: RecordedResponse): string[] {
    const template = this.templateFor(r.path);
    const op = template ? this.#spec.paths[template]?.[r.method.toLowerCase()] : undefined;
    const where = `${r.method} ${r.path}${r.query} → ${r.status}`;
    if (!template || !op) return [`${where}: no such operation in the OpenAPI description`];
    const problems: string[] = [];
    const requestSchema = (op.requestBody as Json | undefined)?.content as Json | undefined;
    if (r.requestBody !== undefined && requestSchema) {
      const validate = this.#compile(`${template} ${r.method} request`, requestSchema['application/json']);
      if (!validate(r.requestBody)) problems.push(`${where}: request body ${this.#ajv.errorsText(validate.errors)}`);
    }
    if (r.status === 0) return problems;
    const key = [String(r.status), `${String(r.status)[0]}xx`, 'default'].find((k) => k in op.responses);
    const content = key ? ((op.responses[key] as Json).content as Json | undefined) : undefined;
    if (!key) return [...problems, `${where}: status not declared in the OpenAPI description`];
    if (!content) return problems;
    const validate = this.#compile(`${template} ${r.method} ${key}`, content['application/json']);
    if (!validate(r.body)) problems.push(`${where}: ${this.#ajv.errorsText(validate.errors)}`);
    return problems;
  }

  #compile(id: string, media: unknown): ValidateFunction {
    let validate = this.#cache.get(id);
    if (!validate) {
      const schema = (media as Json | undefined)?.schema;
      validate = this.#ajv.compile(schema === undefined ? {} : this.#convert(schema, new Set()));
      this.#cache.set(id, validate);
    }
    return validate;
  }

  #resolve(ref: string): unknown {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Json)[key], this.#spec);
  }

  /** OpenAPI 3.0 schema object → JSON Schema (draft-07) for ajv. */
  #convert(node: unknown, seen: Set<string>): Json {
    let schema = node as Json;
    if (typeof schema.$ref === 'string') {
      if (seen.has(schema.$ref)) return {};
      seen = new Set([...seen, schema.$ref]);
      schema = this.#resolve(schema.$ref) as Json;
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(schema)) {
      if (DROP.has(k) || k.startsWith('x-')) continue;
      if (k === 'properties') {
        out.properties = Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, this.#convert(s, seen)]));
      } else if (k === 'items' || k === 'not' || (k === 'additionalProperties' && typeof v === 'object')) {
        out[k] = this.#convert(v, seen);
      } else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
        out[k] = (v as unknown[]).map((s) => this.#convert(s, seen));
      } else {
        out[k] = v;
      }
    }
    if (out.properties && out.additionalProperties === undefined && !out.allOf) out.additionalProperties = false;
    if (schema.nullable === true) {
      if (typeof out.type === 'string') {
        out.type = [out.type, 'null'];
        if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
      } else {
        return { anyOf: [out, { type: 'null' }] };
      }
    }
    return out;
  }
}

/** Checks every exchange; returns all problems, one line each. */
export function checkAgainstSpec(checker: OpenApiChecker, responses: RecordedResponse[]): string[] {
  return responses.flatMap((r) => checker.check(r));
}
