/**
 * Image references follow Docker's grammar: [registry[:port]/]path[:tag][@algo:hex]. Only pinned references
 * are deployable: a moving tag makes "redeploy with no change" and rollback meaningless.
 */
const DOMAIN_COMPONENT = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`,
);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export interface ImageRef {
  readonly name: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export function parseImageRef(ref: string): ImageRef | undefined {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  // A colon before the last slash belongs to a registry port, not to a tag.
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (rest.length > 255 || !NAME.test(rest)) return undefined;
  return { name: rest, tag, digest };
}

/** Why an image reference cannot be deployed, or undefined when it is pinned (a version tag or a digest). */
export function pinnedImageProblem(ref: string): string | undefined {
  if (ref.includes('$')) {
    return `image '${ref}' uses a variable: deckhand needs a literal, pinned image reference such as name:1.2.3`;
  }
  const parsed = parseImageRef(ref);
  if (!parsed) return `'${ref}' is not a valid image reference (expected name:tag, e.g. postgres:17.9-alpine)`;
  if (parsed.digest) return undefined;
  if (parsed.tag === undefined) {
    return `image '${ref}' has no tag, which means :latest: pin a version tag (e.g. ${ref}:1.2.3) or a digest (${ref}@sha256:…)`;
  }
  if (parsed.tag.toLowerCase() === 'latest') {
    return (
      `image '${ref}' uses :latest, which changes under you and cannot be rolled back: ` +
      `pin a version tag (e.g. ${parsed.name}:1.2.3) or a digest`
    );
  }
  return undefined;
}
