import { describe, expect, it } from 'vitest';
import { summarizeApp } from '../../src/apps/catalogue/describe.js';
import { catalogue } from './helpers.js';

describe('summarizeApp', () => {
  it('says what an app is, what it needs and what can be set', () => {
    expect(summarizeApp(catalogue.get('n8n'))).toEqual({
      name: 'n8n',
      description: expect.stringContaining('Workflow automation'),
      version: '2.32.7',
      images: ['n8nio/n8n:2.32.7'],
      web: true,
      requiresDomain: true,
      dependencies: ['postgres'],
      settings: [
        expect.objectContaining({ key: 'DB_POSTGRESDB_PASSWORD', managedBy: 'postgres', required: false }),
        expect.objectContaining({ key: 'DB_POSTGRESDB_USER', managedBy: 'postgres' }),
        expect.objectContaining({ key: 'GENERIC_TIMEZONE', default: 'UTC' }),
        expect.objectContaining({ key: 'N8N_ENCRYPTION_KEY', managedBy: 'deckhand' }),
      ],
    });
    expect(summarizeApp(catalogue.get('postgres'))).toMatchObject({
      web: false,
      requiresDomain: false,
      dependencies: [],
    });
  });
});
