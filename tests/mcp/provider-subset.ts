/**
 * The part of JSON Schema that both OpenAI and Gemini function calling accept for a function's parameters, as a
 * checker that names every violation by its path. Written from their published rules:
 *
 * - Gemini (`FunctionDeclaration.parameters`, a "select subset of an OpenAPI 3.0 schema object"): the Schema fields
 *   are type, format, title, description, nullable, enum, items, properties, required, minItems, maxItems,
 *   minProperties, maxProperties, minLength, maxLength, pattern, example, anyOf, propertyOrdering, default, minimum,
 *   maximum. Anything else (`$ref`, `$defs`, `oneOf`, `allOf`, `not`, `const`, `propertyNames`,
 *   `patternProperties`, `exclusiveMinimum` ...) is an unknown field and the request is refused. An OBJECT must have
 *   non-empty properties; enum values are strings; string formats are only "enum" and "date-time". Parameter names
 *   start with a letter or an underscore: letters, digits, underscores, at most 64.
 * - OpenAI (function `parameters`, JSON Schema; not strict mode, which requires every property and so fits no tool
 *   with optional parameters): the documented types are string, number, integer, boolean, object, array, with enum
 *   and anyOf; an array needs `items`. It would also take `$ref`/`$defs`, oneOf and the rest; Gemini would not.
 *
 * Where the two differ, the narrower rule wins. Two things are allowed although Gemini's Schema has no field for
 * them, because clients drop them on the way and the schema means the same without them: `additionalProperties:
 * false` (what OpenAI's strict mode wants) and the nullable form `type: [T, "null"]`. A map (an object whose keys
 * are free, `additionalProperties: {schema}`) is not: without that field it is an object with no properties, which
 * Gemini refuses.
 */
type Schema = Record<string, unknown>;

const TYPES = new Set(['object', 'string', 'number', 'integer', 'boolean', 'array']);
const KEYWORDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'items',
  'properties',
  'required',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'default',
  'minimum',
  'maximum',
  'additionalProperties',
]);
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const TOOL_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every violation as "path: what is wrong"; [] when the schema fits both providers. */
export function providerSubsetViolations(toolName: string, root: unknown): string[] {
  const out: string[] = [];
  if (!TOOL_NAME.test(toolName)) out.push(`${toolName}: a function name must match ${TOOL_NAME}`);
  if (!isSchema(root)) return [...out, `${toolName}: the parameters are not an object schema`];
  if (root.type !== 'object') out.push(`${toolName}: the parameters must be of type "object"`);
  check(root, toolName, true, out);
  return out;
}

function check(s: Schema, at: string, isRoot: boolean, out: string[]): void {
  for (const k of Object.keys(s)) if (!KEYWORDS.has(k)) out.push(`${at}: "${k}" is not accepted`);
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  const real = types.filter((t) => t !== 'null');
  if (Array.isArray(s.type) && (s.type.length !== 2 || real.length !== 1)) {
    out.push(`${at}: a type list may only be [T, "null"] (nullable)`);
  }
  if (s.anyOf === undefined && real.length === 0) out.push(`${at}: has no type`);
  for (const t of real) if (typeof t !== 'string' || !TYPES.has(t)) out.push(`${at}: type ${JSON.stringify(t)}`);
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
    out.push(`${at}: additionalProperties may only be false (a map of free keys cannot be described to Gemini)`);
  }
  if (s.format !== undefined && s.format !== 'date-time' && s.format !== 'enum') {
    out.push(`${at}: string format "${String(s.format)}" (Gemini takes only "enum" and "date-time")`);
  }
  if (Array.isArray(s.enum) && s.enum.some((v) => typeof v !== 'string'))
    out.push(`${at}: enum values must be strings`);
  if (real.includes('object')) {
    const props = isSchema(s.properties) ? s.properties : {};
    if (Object.keys(props).length === 0 && !isRoot) out.push(`${at}: an object needs properties`);
    for (const [name, p] of Object.entries(props)) {
      if (!PARAM_NAME.test(name)) out.push(`${at}.${name}: a property name must match ${PARAM_NAME}`);
      if (isSchema(p)) check(p, `${at}.${name}`, false, out);
      else out.push(`${at}.${name}: not a schema`);
    }
    const required = Array.isArray(s.required) ? s.required : [];
    for (const r of required) if (!(String(r) in props)) out.push(`${at}: required "${String(r)}" is not a property`);
  }
  if (real.includes('array')) {
    if (isSchema(s.items)) check(s.items, `${at}[]`, false, out);
    else out.push(`${at}: an array needs one items schema`);
  }
  if (s.anyOf !== undefined) {
    if (!Array.isArray(s.anyOf) || s.anyOf.length === 0) out.push(`${at}: anyOf must be a non-empty list`);
    else
      s.anyOf.forEach((b, i) =>
        isSchema(b) ? check(b, `${at}|${i}`, false, out) : out.push(`${at}|${i}: not a schema`),
      );
  }
}
