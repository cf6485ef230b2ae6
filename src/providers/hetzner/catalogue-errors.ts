import { ProviderError } from '../errors.js';
import type { CreateServerSpec, ImageInfo, LocationInfo, ServerTypeInfo } from '../types.js';
import { invalidFieldNames } from './errors.js';

/** What a create error needs from the catalogue; each is fetched only when the error calls for it. */
export interface CatalogueSource {
  listServerTypes(opts?: { signal?: AbortSignal }): Promise<ServerTypeInfo[]>;
  listLocations(opts?: { signal?: AbortSignal }): Promise<LocationInfo[]>;
  listImages(opts?: { signal?: AbortSignal }): Promise<ImageInfo[]>;
}

const MAX_LISTED = 30;

function choices(names: Iterable<string>): string {
  const sorted = [...new Set(names)].sort();
  const shown = sorted.slice(0, MAX_LISTED).join(', ');
  return sorted.length > MAX_LISTED ? `${shown}, ... (${sorted.length} in all)` : shown || '(none)';
}

/*
 * The API reports a type that is not offered in a location as 422 invalid_input "unsupported location
 * for server type" without field details, and a type that is sold out there as 412 resource_unavailable.
 */
function isUnavailableInLocation(err: ProviderError): boolean {
  return (
    err.code === 'resource_unavailable' || (err.code === 'invalid_input' && /unsupported location/i.test(err.message))
  );
}

function mentions(err: ProviderError, field: string, words: RegExp): boolean {
  return invalidFieldNames(err).includes(field) || (err.code === 'invalid_input' && words.test(err.message));
}

/**
 * Turns a failed create into an error that names the valid choices. Returns the original error when it is
 * not about the catalogue or when the catalogue itself cannot be read (the original is more useful then).
 */
export async function explainCreateError(
  err: ProviderError,
  spec: CreateServerSpec,
  catalogue: CatalogueSource,
  signal?: AbortSignal,
): Promise<ProviderError> {
  try {
    if (isUnavailableInLocation(err)) return await unavailable(err, spec, catalogue, signal);
    if (mentions(err, 'server_type', /server[ _]type/i)) {
      const types = (await catalogue.listServerTypes({ signal })).filter((t) => !t.deprecated);
      return new ProviderError(`Unknown server type "${spec.serverType}"`, {
        code: 'unknown_server_type',
        status: err.status,
        apiCode: err.apiCode,
        details: err.details,
        hint: `Set server_type to one of: ${choices(types.map((t) => t.name))}`,
        cause: err,
      });
    }
    if (mentions(err, 'image', /\bimage\b/i)) {
      const images = await catalogue.listImages({ signal });
      const names = images.filter((i) => i.type === 'system' && i.name).map((i) => i.name as string);
      return new ProviderError(`Unknown image "${spec.image}"`, {
        code: 'unknown_image',
        status: err.status,
        apiCode: err.apiCode,
        details: err.details,
        hint: `Set image to one of: ${choices(names)}`,
        cause: err,
      });
    }
    if (mentions(err, 'location', /\blocation\b/i)) {
      const locations = await catalogue.listLocations({ signal });
      return new ProviderError(`Unknown location "${spec.location ?? ''}"`, {
        code: 'unknown_location',
        status: err.status,
        apiCode: err.apiCode,
        details: err.details,
        hint: `Set location to one of: ${choices(locations.map((l) => `${l.name} (${l.city})`))}`,
        cause: err,
      });
    }
  } catch {
    // The catalogue could not be read: keep the API's own message.
  }
  return err;
}

async function unavailable(
  err: ProviderError,
  spec: CreateServerSpec,
  catalogue: CatalogueSource,
  signal?: AbortSignal,
): Promise<ProviderError> {
  const types = await catalogue.listServerTypes({ signal });
  const type = types.find((t) => t.name === spec.serverType);
  const where = spec.location ? ` in location "${spec.location}"` : '';
  const elsewhere = type?.availableLocations.length
    ? `choose a location where ${type.name} is available (${choices(type.availableLocations)})`
    : `choose another server type`;
  const here = spec.location
    ? types.filter((t) => !t.deprecated && t.availableLocations.includes(spec.location as string)).map((t) => t.name)
    : [];
  const alternative = here.length ? `, or a type available in ${spec.location} (${choices(here)})` : '';
  return new ProviderError(`Server type "${spec.serverType}" cannot be ordered${where} right now`, {
    code: 'resource_unavailable',
    status: err.status,
    apiCode: err.apiCode,
    details: err.details,
    hint: `Either ${elsewhere}${alternative}`,
    cause: err,
  });
}
