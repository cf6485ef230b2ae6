// npm run bench:files: the file figures alone (the ssh layer's, then through the deckhand binary).
import { benchFiles } from './files.js';
import { benchFilesMcp } from './files-mcp.js';
import { printTable, type Row } from './stats.js';

const rows: Row[] = [];
await benchFiles(rows);
await benchFilesMcp(rows);
printTable(rows);
