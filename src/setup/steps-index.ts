// What deploy-app (and other jobs) may use from setup-server: where it keeps things, its record, the remote shell.
export {
  RemoteShell,
  commandFailed,
  lastLines,
  type ShellResult,
  type RemoteShellOptions,
} from '../ssh/remote-shell.js';
export {
  COMPONENTS,
  DECKHAND_DIR,
  SETUP_RECORD_PATH,
  STACKS_DIR,
  type Component,
  type Facts,
  type SetupParams,
  type SetupRecord,
} from './types.js';
export { TRAEFIK_VOLUME, traefikPaths } from './steps-stack.js';
export { SETUP_STEP_NAMES } from './steps.js';
