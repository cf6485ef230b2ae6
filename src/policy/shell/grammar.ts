import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { DeckhandError } from '../../errors.js';

/** A loaded bash grammar: parses source into a tree-sitter tree, synchronously. */
export interface BashGrammar {
  /** Calls `use` with the root of the parse tree; the tree is freed when `use` returns. */
  withTree<T>(source: string, use: (root: Node) => T): T;
  /** Frees the parser. Later calls throw. */
  close(): void;
}

// web-tree-sitter keeps its wasm runtime in module state of its own: a second Parser.init() replaces it under
// parsers made before, which then read another heap. So the runtime is started once per process and shared;
// this promise is the one piece of module state here, and it only ever holds that single start.
let runtimeStarted: Promise<void> | undefined;

function startRuntime(): Promise<void> {
  runtimeStarted ??= Parser.init().catch((err: unknown) => {
    runtimeStarted = undefined;
    throw err;
  });
  return runtimeStarted;
}

/**
 * Loads tree-sitter-bash's wasm grammar (shipped inside the npm package, so nothing is fetched or compiled).
 * Call once at start-up and pass the result to whoever classifies commands: loading takes about 100 ms, a parse
 * well under a millisecond.
 */
export async function loadBashGrammar(): Promise<BashGrammar> {
  let wasmPath: string;
  try {
    wasmPath = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
  } catch (cause) {
    throw new DeckhandError('policy_parser_missing', 'The bash grammar (tree-sitter-bash) is not installed.', {
      hint: 'Reinstall deckhand (`npm install`); the package tree-sitter-bash ships the grammar as a wasm file.',
      cause,
    });
  }
  await startRuntime();
  const language = await Language.load(wasmPath);
  const parser = new Parser();
  parser.setLanguage(language);
  let closed = false;
  return {
    withTree(source, use) {
      if (closed) throw new DeckhandError('policy_parser_closed', 'The bash grammar was closed.');
      const tree = parser.parse(source);
      if (!tree) throw new DeckhandError('policy_parse_failed', 'The bash parser returned no tree.');
      try {
        return use(tree.rootNode);
      } finally {
        tree.delete();
      }
    },
    close() {
      if (closed) return;
      closed = true;
      parser.delete();
    },
  };
}
