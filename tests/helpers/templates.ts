// Templates saved straight into a DECKHAND_HOME's store (the save-template tool is another feature's): the
// TemplateService of src/ over the home's stores, its servers checked against the servers registered there.
import type { Stores } from '../../src/jobs/store/contract.js';
import { openStores } from '../../src/jobs/store/open.js';
import { TemplateService, type SaveInput } from '../../src/templates/index.js';

export async function withTemplates<T>(
  home: string,
  act: (t: TemplateService, stores: Stores) => Promise<T>,
): Promise<T> {
  const stores = await openStores({ home }, { instance: { id: 'inst_tplseed', host: 'test', pid: process.pid } });
  try {
    const service = new TemplateService({
      store: stores.templates,
      secrets: stores.secrets,
      runner: {
        targetNames: async (t) => {
          const names = [...(t.server ? [t.server] : []), ...(t.servers ?? [])];
          for (const n of names) if (!(await stores.inventory.find(n))) throw new Error(`no server ${n} in the home`);
          return names;
        },
        start: () => Promise.reject(new Error('the seeding service runs nothing')),
      },
      jobs: {
        list: (filter, limit, cursor) => stores.jobs.list(filter, limit, cursor),
        cancel: () => Promise.reject(new Error('the seeding service cancels nothing')),
      },
    });
    return await act(service, stores);
  } finally {
    await stores.close();
  }
}

export function saveTemplates(home: string, inputs: readonly SaveInput[]): Promise<void> {
  return withTemplates(home, async (t) => {
    for (const i of inputs) await t.save(i);
  });
}
