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
