// The web dashboard: pages over the job, server (and, later, batch, template, pool) services for the people
// beside the assistant. Mounted by `serve --http` at / and served alone by `deckhand dashboard`.
import type { Config } from '../config.js';
import type { JobService } from '../jobs/index.js';
import type { Logger } from '../logger.js';
import type { ServerService } from '../servers/index.js';
import { allowedHostsFor } from '../web/http-guards.js';
import { packageVersion } from '../version.js';
import { createDashboard, type Dashboard } from './dashboard.js';
import { defaultSources } from './sources.js';
import { dashboardToken } from './token.js';

export { createDashboard, type Dashboard, type DashboardOptions } from './dashboard.js';
export { serveDashboard, type DashboardServer } from './serve.js';
export { defaultSources, type DashboardSources } from './sources.js';
export { dashboardToken, type DashboardToken } from './token.js';

/**
 * The dashboard of a running app, bound to `host` (its Host allow-list), and the line that tells a person how to
 * log in. The mode comes from DECKHAND_DASHBOARD ('off' is the caller's to honour).
 */
export function dashboardForApp(
  app: {
    readonly config: Config;
    readonly logger: Logger;
    readonly services: { readonly jobs: JobService; readonly servers: ServerService };
  },
  host: string,
): { dashboard: Dashboard; loginHint: string } {
  const { config } = app;
  const token = dashboardToken(config.http.token, config.home);
  const dashboard = createDashboard({
    sources: defaultSources({ jobs: app.services.jobs, servers: app.services.servers, config }),
    token,
    mode: config.dashboard.mode === 'readonly' ? 'readonly' : 'full',
    allowedHosts: allowedHostsFor(host, config.http.allowedHosts),
    allowedOrigins: config.http.allowedOrigins,
    version: packageVersion(),
    logger: app.logger,
  });
  const how =
    token.source.kind === 'env'
      ? 'log in with DECKHAND_HTTP_TOKEN'
      : `log in with the token in ${token.source.file}${token.source.created ? ' (just created)' : ''}`;
  return { dashboard, loginHint: `${how}${config.dashboard.mode === 'readonly' ? '; read-only' : ''}` };
}
