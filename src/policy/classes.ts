/**
 * How much an action can change, from least to most. Commands are read-only, destructive or privileged; tools that
 * change things in a way that is easy to undo (a new file, a deploy to a server that is not env=prod) are `change`.
 */
export const ACTION_CLASSES = Object.freeze(['read-only', 'change', 'destructive', 'privileged'] as const);

export type ActionClass = (typeof ACTION_CLASSES)[number];

export function classRank(c: ActionClass): number {
  return ACTION_CLASSES.indexOf(c);
}

/** The worse of the classes given; read-only for none. */
export function worstClass(classes: Iterable<ActionClass>): ActionClass {
  let worst: ActionClass = 'read-only';
  for (const c of classes) if (classRank(c) > classRank(worst)) worst = c;
  return worst;
}

/** Why a part of an action has its class, in words for a person. */
export interface Verdict {
  readonly class: ActionClass;
  readonly why: string;
}
