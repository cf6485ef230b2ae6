import { it } from 'vitest';
import { benchFiles } from '../../bench/files.js';
import { printTable, type Row } from '../../bench/stats.js';
it('bench', async () => {
  const rows: Row[] = [];
  await benchFiles(rows);
  printTable(rows);
}, 600_000);
