import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childModule } from './helpers/child-module.js';

const HEAP_JS = await childModule('src/heap.ts');

// Runs in a child process: the setting is process-wide and would otherwise change the test runner's own heap.
function newSpaceMbAfterGarbage(setup: boolean): number {
  const script = `
    import v8 from 'node:v8';
    import { keepYoungGenerationSmall } from ${JSON.stringify(HEAP_JS)};
    if (${String(setup)}) keepYoungGenerationSmall();
    // Short-lived garbage with some of it surviving a few scavenges, as lines waiting for their flush do. Without the
    // setting, 10 rounds already grow the young generation to its 32 MB limit here (Node 20); 100 keep a wide margin
    // (500 took 8-17 s with the setting on a loaded 2-core machine).
    const keep = [];
    for (let r = 0; r < 100; r++) {
      const a = [];
      for (let i = 0; i < 20000; i++) a.push({ i, s: 'line ' + i });
      keep.push(a);
      if (keep.length > 3) keep.shift();
    }
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    process.stdout.write(String(s.space_size / 1048576));
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('keepYoungGenerationSmall', () => {
  it('keeps the young generation at its starting size through a burst of garbage', () => {
    expect(newSpaceMbAfterGarbage(true)).toBeLessThanOrEqual(2);
  });

  it('is what makes the difference: without it the same burst grows the young generation', () => {
    expect(newSpaceMbAfterGarbage(false)).toBeGreaterThan(4);
  });
});

// The bash grammar parsing commands in a child process, with and without the flag: resident memory after 1,000
// parses of a long command.
const GRAMMAR_JS = await childModule('src/policy/shell/grammar.ts');

function rssMbAfterParses(setup: boolean): number {
  const script = `
    import { keepWasmAtBaseline } from ${JSON.stringify(HEAP_JS)};
    if (${String(setup)}) keepWasmAtBaseline();
    const { loadBashGrammar } = await import(${JSON.stringify(GRAMMAR_JS)});
    const g = await loadBashGrammar();
    const src = 'apt-get update && apt-get install -y nginx; for f in $(ls /etc/nginx); do echo "$f" | sed s/a/b/ > /tmp/x; done';
    let n = 0;
    for (let i = 0; i < 1000; i++) n += g.withTree(src, (root) => root.childCount);
    if (n === 0) throw new Error('no tree');
    process.stdout.write(String(process.memoryUsage().rss / 1048576));
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('keepWasmAtBaseline', () => {
  it("keeps the bash grammar's code at the baseline tier: about 30 MB less resident after 1,000 parses", () => {
    const baseline = rssMbAfterParses(true);
    const tiered = rssMbAfterParses(false);
    expect(
      tiered - baseline,
      `resident ${baseline.toFixed(0)} MB with it, ${tiered.toFixed(0)} MB without`,
    ).toBeGreaterThan(15);
  });
});
