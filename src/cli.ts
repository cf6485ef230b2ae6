#!/usr/bin/env node
// The binary's entry, and the only module with side effects. The heap is sized before anything else is loaded:
// loading the MCP SDK alone would already grow V8's young generation (see heap.ts).
import { keepYoungGenerationSmall } from './heap.js';

keepYoungGenerationSmall();
const { run } = await import('./main.js');
await run(process.argv.slice(2));
