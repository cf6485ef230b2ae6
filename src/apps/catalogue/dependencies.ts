import { DependencyError, UnknownAppError } from '../errors.js';

export interface DependencyNode {
  readonly dependencies: readonly { readonly app: string }[];
}

/**
 * The apps to deploy for `name`, dependencies first and `name` last, each once. Depth-first in the order
 * dependencies are declared, so the result is stable for a given catalogue.
 */
export function resolveDependencyOrder(name: string, apps: ReadonlyMap<string, DependencyNode>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const known = () => [...apps.keys()].sort();

  const visit = (current: string, requiredBy: string | undefined): void => {
    if (done.has(current)) return;
    const cycleStart = path.indexOf(current);
    if (cycleStart >= 0) {
      throw new DependencyError(`dependency cycle: ${[...path.slice(cycleStart), current].join(' → ')}`);
    }
    const node = apps.get(current);
    if (!node) {
      if (requiredBy === undefined) throw new UnknownAppError(current, known());
      throw new DependencyError(
        `${requiredBy} depends on '${current}', which is not in the catalogue (known: ${known().join(', ')})`,
      );
    }
    path.push(current);
    for (const dependency of node.dependencies) visit(dependency.app, current);
    path.pop();
    done.add(current);
    order.push(current);
  };

  visit(name, undefined);
  return order;
}
