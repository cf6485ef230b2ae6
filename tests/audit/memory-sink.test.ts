import { InMemoryAuditSinkForTests } from '../../src/audit/memory-sink.js';
import { describeAuditSinkContract } from './sink-contract.js';

describeAuditSinkContract('in memory (tests only)', async () => ({
  sink: new InMemoryAuditSinkForTests(),
  cleanup: async () => {},
}));
