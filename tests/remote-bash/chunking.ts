// The same bytes cut in many ways, for parsers that must not care where a read ends.

/** A small deterministic PRNG, so a failing chunking can be reproduced. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The same bytes cut in many ways: whole, 1-byte, 2-byte, and random sizes. */
export function chunkings(data: Buffer): Buffer[][] {
  const out: Buffer[][] = [[data], split(data, () => 1), split(data, () => 2), split(data, () => 7)];
  for (let seed = 1; seed <= 20; seed++) {
    const r = rng(seed);
    out.push(split(data, () => 1 + Math.floor(r() * 40)));
  }
  return out;
}

export function split(data: Buffer, size: () => number): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length;) {
    const n = size();
    // Copies: a parser must not depend on the caller keeping a chunk's memory untouched.
    parts.push(Buffer.from(data.subarray(i, i + n)));
    i += n;
  }
  return parts;
}
