import type { Job } from './types.js';

/** What a process's engine tells its own listeners (the MCP sessions' change stream, waiting tool calls). */
export interface EngineEvents {
  /** A job's record changed in this process (created, claimed, progressed, ended). */
  job: [Job];
  /** Lines of a job run here are durable up to this seq. */
  lines: [string, number];
  /** Another process or instance changed this job or added to its log (a store hint: read the store to know what). */
  hint: [string];
}
