/**
 * The resident agent: one long-lived sh process per pooled SSH connection that launches, follows, kills and cleans
 * up remote-bash jobs without a login shell per command. See README.md in this folder.
 */
export { AgentSession, type AgentSessionOptions, type KillResult, type LaunchResult } from './session.js';
export { AgentSessions, type AgentEvent, type AgentSessionsOptions } from './sessions.js';
export type { AgentEnd } from './channel.js';
export type { FollowEnd, FollowHandle, Offsets, OnFrameEvent } from './follows.js';
export {
  AgentGoneError,
  AgentRequestError,
  AgentUnavailableError,
  type AgentEndReason,
  type AgentUnavailableReason,
} from './errors.js';
