import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type Deckhand } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { BATCH_TYPE } from '../../src/jobs/batch.js';
import { silentLogger } from '../../src/logger.js';
import { tempHome } from '../helpers/home.js';

// A job cancelled before it ever ran keeps no secret input behind: the single job and every child of a batch
// (embedded mode here, the shared store's clear is in the contract suite). The engine is not started: nothing runs.
describe("an unstarted job's secret inputs", () => {
  let app: Deckhand | undefined;
  let home: { dir: string; cleanup(): void } | undefined;
  afterEach(async () => {
    await app?.close();
    home?.cleanup();
  });

  it('are removed when the job, or its batch, is cancelled while queued', async () => {
    home = tempHome();
    app = await createApp({
      config: loadConfig({ DECKHAND_HOME: home.dir }),
      logger: silentLogger(),
      env: {},
      process: { pid: process.pid, isAlive: () => true },
    });
    const { engine, files } = app.kernel;
    const envFile = (id: string) => path.join(home!.dir, 'jobs', id, 'env.json');
    const single = engine.newId();
    await files.putSecret(single, 'env', { TOKEN: 'x' });
    await engine.submit({ id: single, type: 'remote-bash', server: 'box', params: {}, timeout_s: 60 });
    expect(fs.existsSync(envFile(single))).toBe(true);
    expect((await engine.cancel(single))?.status).toBe('cancelled');
    expect(fs.existsSync(envFile(single))).toBe(false);

    const parent = engine.newId();
    const kids = [engine.newId(), engine.newId()];
    for (const id of kids) await files.putSecret(id, 'env', { TOKEN: 'y' });
    await engine.submitMany([
      { id: parent, type: BATCH_TYPE, server: null, status: 'running', params: {}, timeout_s: 60 },
      ...kids.map((id) => ({ id, type: 'remote-bash', server: 'box', parent_id: parent, params: {}, timeout_s: 60 })),
    ]);
    await engine.cancel(parent);
    for (const id of kids) {
      expect((await app.services.jobs.get(id)).status).toBe('cancelled');
      expect(fs.existsSync(envFile(id))).toBe(false);
    }
  });
});
