/**
 * The app catalogue and compose rendering: pure code the deploy job and setup-server call.
 * No SSH, no MCP, no jobs here.
 */
export { BUILTIN_APPS } from '../catalogue/index.js';
export type {
  AppDefinition,
  AppDefinitionInput,
  EnvVarDefinition,
  HealthcheckDefinition,
} from '../catalogue/schema.js';
export * from './constants.js';
export { resolveDependencyOrder, type DependencyNode } from '../catalogue/dependencies.js';
export { dependencyRuntime, resolvedEnvValues, type DependencyRuntime } from './env-resolve.js';
export { validateEnv } from './env-validate.js';
export * from '../errors.js';
export { parseImageRef, pinnedImageProblem, type ImageRef } from './images.js';
export { loadCatalogue, type Catalogue } from '../catalogue/load.js';
export type { PlannedHook, PlannedRoute, PlannedService, ReleasePlan } from './plan.js';
export { releaseHash, renderApp, type ImageOverride, type RenderedApp, type RenderOptions } from './render.js';
export { generateSecret, resolveSecrets, type RandomSource, type ResolvedSecrets } from './secrets.js';
export {
  renderTraefikStack,
  TRAEFIK_IMAGE,
  TRAEFIK_VERSION,
  type TraefikStackOptions,
  type TraefikStackPlan,
} from './traefik-stack.js';
export { BUILD_REFUSED, validateUserCompose, type UserCompose, type UserComposeService } from './user-compose.js';
export { summarizeApp, type AppSetting, type AppSummary } from '../catalogue/describe.js';
export {
  exportEnvFileScript,
  renderUserCompose,
  type UserReleasePlan,
  type UserRenderOptions,
} from './user-compose-render.js';
