/**
 * tools/list as every client can take it, and small enough to sit in every conversation. Pure transforms of the
 * JSON Schemas the SDK derives from the tools' zod schemas (which stay whole: the argument gate and the SDK validate
 * against them); tool-listing.ts applies them to every tool registered, so a tool added later is covered too.
 *
 * Input schemas are what models read, and what LLM providers check (OpenAI and Gemini function calling accept a
 * subset of JSON Schema; tests/mcp/provider-subset.ts is that subset):
 * - `$ref`s (zod emits them for a schema object used twice) are inlined; `$schema` goes.
 * - `propertyNames` (zod's record key rule) goes: the field's description says in words what the keys are.
 * - A map (an object of free keys, zod's record: env, labels) cannot be said in Gemini's schema at all, so it is
 *   advertised as an array of "KEY=value" strings; the gate turns such an array back into the object (mapFields),
 *   and the object form keeps working.
 * - Length bounds go (`minLength`, `maxLength`): OpenAI's strict mode refuses them, models do not need them, and
 *   the gate still enforces them with a message that names the limit. So does `additionalProperties: false`
 *   (Gemini has no such field): the gate refuses an unknown parameter and names the ones the tool takes.
 *
 * Output schemas are for clients checking structuredContent: they keep each field's name and type (and a status
 * enum), not the nested detail, which tools.md documents.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `#/properties/a/items` in `root`. */
function resolvePointer(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let at: Json = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isSchema(at)) return undefined;
    at = at[key] as Json;
  }
  return isSchema(at) ? at : undefined;
}

/** Is this a map: an object whose only shape is the schema of its values? */
export function isMapSchema(s: Schema): boolean {
  return s.type === 'object' && isSchema(s.additionalProperties) && !isSchema(s.properties);
}

const DROPPED_INPUT_KEYWORDS = new Set(['$schema', 'minLength', 'maxLength', 'propertyNames']);

export function compactInputSchema(root: Schema): Schema {
  const walk = (s: Schema, depth: number): Schema => {
    if (depth > 32) return s;
    let node: Schema = s;
    if (typeof node.$ref === 'string') {
      const target = resolvePointer(root, node.$ref);
      const { $ref: _ref, ...rest } = node;
      node = target ? { ...target, ...rest } : rest;
    }
    const out: Schema = {};
    for (const [k, v] of Object.entries(node)) {
      if (DROPPED_INPUT_KEYWORDS.has(k) || (k === 'additionalProperties' && v === false)) continue;
      if (k === 'properties' && isSchema(v)) {
        out.properties = Object.fromEntries(
          Object.entries(v).map(([name, p]) => [name, isSchema(p) ? walk(p, depth + 1) : p]),
        );
      } else if ((k === 'items' || k === 'additionalProperties') && isSchema(v)) {
        out[k] = walk(v, depth + 1);
      } else if ((k === 'anyOf' || k === 'oneOf' || k === 'allOf') && Array.isArray(v)) {
        out[k] = v.map((b) => (isSchema(b) ? walk(b, depth + 1) : b));
      } else {
        out[k] = v;
      }
    }
    if (isMapSchema(out)) return mapAsList(out);
    return out;
  };
  return walk(root, 0);
}

/** A map advertised as "KEY=value" strings: what Gemini and OpenAI both can say. Its description names the keys. */
function mapAsList(s: Schema): Schema {
  const description = `${typeof s.description === 'string' ? `${s.description} ` : ''}As "KEY=value" strings.`;
  return { type: 'array', items: { type: 'string' }, description };
}

/** Each field's name and type; nested objects and arrays by their type only (tools.md has the rest). */
export function compactOutputSchema(root: Schema): Schema {
  const field = (s: Schema): Schema => {
    if (Array.isArray(s.anyOf)) {
      const types = new Set<string>();
      for (const b of s.anyOf) if (isSchema(b)) for (const t of typesOf(b)) types.add(t);
      return types.size ? { type: [...types].sort() } : {};
    }
    const out: Schema = {};
    if (s.type !== undefined) out.type = s.type;
    else if (isSchema(s.properties)) out.type = 'object';
    return out;
  };
  const props = isSchema(root.properties) ? root.properties : {};
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, isSchema(v) ? field(v) : {}])),
  };
}

function typesOf(s: Schema): string[] {
  if (typeof s.type === 'string') return [s.type];
  if (Array.isArray(s.type)) return s.type.filter((t): t is string => typeof t === 'string');
  return isSchema(s.properties) ? ['object'] : [];
}

/**
 * Annotations at their MCP defaults say nothing, and neither do destructiveHint and idempotentHint on a read-only
 * tool (the spec gives them meaning only when readOnlyHint is false): only the others are sent.
 */
export function compactAnnotations(a: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!a) return undefined;
  const defaults: Record<string, unknown> = {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: true,
  };
  const readOnly = a.readOnlyHint === true;
  const out = Object.fromEntries(
    Object.entries(a).filter(
      ([k, v]) => defaults[k] !== v && !(readOnly && (k === 'destructiveHint' || k === 'idempotentHint')),
    ),
  );
  return Object.keys(out).length ? out : undefined;
}
