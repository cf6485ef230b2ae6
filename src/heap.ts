import v8 from 'node:v8';

/**
 * Keeps V8's young generation at its starting size (a 1 MB semi-space) instead of letting it grow to 16 MB.
 *
 * deckhand is a long-lived process with a small live set and bursts of short-lived garbage (SSH packets, log lines).
 * Under such bursts V8 doubles the young generation up to 2 × 16 MB and never gives it back while the process stays
 * busy: about 30 MB of resident memory that buys little here, since what survives a scavenge is small either way.
 * `--max-semi-space-size` would cap it too, but only on the command line (an MCP client launches `deckhand` with no
 * flags); the growth factor is read each time V8 grows the space, so setting it at startup works.
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Runs WebAssembly on V8's baseline compiler (Liftoff) only. deckhand's one wasm module is the bash grammar the policy
 * parses commands with (tree-sitter): its lexer and parse functions are huge, and V8's optimizing tier recompiling
 * them after the first parses left about 30 MB more resident for good (a process that had parsed 1,000 commands held
 * 85-94 MB instead of 55) without parsing any faster (0.10-0.15 ms a command either way). Read when a module is
 * compiled, so setting it before the grammar loads is enough.
 */
export function keepWasmAtBaseline(): void {
  v8.setFlagsFromString('--liftoff-only');
}
