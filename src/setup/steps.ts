import { daemonConfigStep, dockerEngineStep, networkStep, swarmStep } from './steps-docker.js';
import { traefikStep, volumesStep } from './steps-stack.js';
import { basePackagesStep, factsStep, waitForBootStep } from './steps-system.js';
import { recordStep } from './step-record.js';
import type { SetupStep } from './types.js';

/** setup-server's steps, in order; each is check → apply → verify. */
export const SETUP_STEPS: readonly SetupStep[] = [
  factsStep,
  waitForBootStep,
  basePackagesStep,
  dockerEngineStep,
  daemonConfigStep,
  swarmStep,
  networkStep,
  volumesStep,
  traefikStep,
  recordStep,
];

export const SETUP_STEP_NAMES = SETUP_STEPS.map((s) => s.name);
