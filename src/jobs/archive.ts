import fs from 'node:fs';
import type { Job } from './types.js';

/**
 * Finished jobs past retention, one JSON record a line. Read rarely (old job ids, deep list pages),
 * so it is parsed on demand and cached by file size.
 */
export class JobArchive {
  private cache: { size: number; byId: Map<string, Job>; ordered: Job[] } | undefined;

  constructor(private readonly file: string) {}

  appendSync(jobs: readonly Job[]): void {
    if (jobs.length === 0) return;
    const fd = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(fd, jobs.map((j) => JSON.stringify(j)).join('\n') + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  async get(id: string): Promise<Job | undefined> {
    return (await this.load()).byId.get(id);
  }

  async newestFirst(): Promise<Job[]> {
    return (await this.load()).ordered;
  }

  private async load(): Promise<{ byId: Map<string, Job>; ordered: Job[] }> {
    let size = 0;
    try {
      size = (await fs.promises.stat(this.file)).size;
    } catch {
      return { byId: new Map(), ordered: [] };
    }
    if (this.cache?.size === size) return this.cache;
    const byId = new Map<string, Job>();
    const text = await fs.promises.readFile(this.file, 'utf8');
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const j = JSON.parse(line) as Job;
        byId.set(j.id, j);
      } catch {
        // A torn last line after a crash: skip it, the record is still in jobs.json.
      }
    }
    const ordered = [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
    this.cache = { size, byId, ordered };
    return this.cache;
  }
}
