import { describe, expect, it } from 'vitest';
import { resolveDependencyOrder, type DependencyNode } from '../../src/apps/catalogue/dependencies.js';
import { DependencyError, UnknownAppError } from '../../src/apps/errors.js';

function graph(edges: Record<string, string[]>): Map<string, DependencyNode> {
  return new Map(Object.entries(edges).map(([name, deps]) => [name, { dependencies: deps.map((app) => ({ app })) }]));
}

describe('resolveDependencyOrder', () => {
  it('puts dependencies first and the app last, each once', () => {
    const apps = graph({ web: ['api', 'cache'], api: ['db', 'cache'], cache: [], db: [] });
    expect(resolveDependencyOrder('web', apps)).toEqual(['db', 'cache', 'api', 'web']);
    expect(resolveDependencyOrder('db', apps)).toEqual(['db']);
  });

  it('names the cycle', () => {
    const apps = graph({ a: ['b'], b: ['c'], c: ['a'] });
    expect(() => resolveDependencyOrder('a', apps)).toThrow(DependencyError);
    expect(() => resolveDependencyOrder('a', apps)).toThrow('dependency cycle: a → b → c → a');
    expect(() => resolveDependencyOrder('b', graph({ a: [], b: ['b'] }))).toThrow('dependency cycle: b → b');
  });

  it('names an unknown dependency and who needs it', () => {
    expect(() => resolveDependencyOrder('web', graph({ web: ['mysql'] }))).toThrow(
      "web depends on 'mysql', which is not in the catalogue (known: web)",
    );
  });

  it('refuses an unknown app with the known names', () => {
    expect(() => resolveDependencyOrder('nope', graph({ a: [], b: [] }))).toThrow(UnknownAppError);
  });
});
