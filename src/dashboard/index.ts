// The web dashboard: pages over the job, server, remote-bash (batches), safety (approvals, run again through the
// gate), audit, templates and pool services for the people beside the assistant. Mounted by `serve --http` at / and served alone by `deckhand dashboard`.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { AuditLog } from '../audit/index.js';
import type { JobService } from '../jobs/index.js';
import type { RemoteBashService } from '../remote-bash/index.js';
import { DEFAULT_TOKEN_NAME, type SafetyService } from '../safety/index.js';
import type { ServerService } from '../servers/index.js';
import type { TemplateService } from '../templates/index.js';
import { allowedHostsFor } from '../web/http-guards.js';
import { packageVersion } from '../version.js';
import { createDashboard, type Dashboard } from './dashboard.js';
import { defaultSources } from './default-sources.js';
import { ReachabilityProber } from './reachability.js';
import { dashboardToken, TOKEN_FILE } from './token.js';

export { createDashboard, type Dashboard, type DashboardOptions } from './dashboard.js';
export { serveDashboard, type DashboardServer } from './serve.js';
export { defaultSources } from './default-sources.js';
export type { DashboardSources } from './sources.js';
export { dashboardToken, type DashboardToken } from './token.js';

/**
 * The dashboard of a running app, bound to `host` (its Host allow-list), and the line that tells a person how to
 * log in. The mode comes from DECKHAND_DASHBOARD ('off' is the caller's to honour).
 */
export function dashboardForApp(
  app: {
    readonly config: Config;
    readonly logger: Logger;
    readonly services: {
      readonly jobs: JobService;
      readonly servers: ServerService;
      readonly remoteBash: RemoteBashService;
      readonly safety: SafetyService;
      readonly audit: AuditLog;
      readonly templates?: TemplateService | undefined;
    };
  },
  host: string,
): { dashboard: Dashboard; loginHint: string } {
  const { config, services } = app;
  const token = dashboardToken(config.http.token, config.home);
  // The servers page reads reachability from this probe, which runs only while people look at it.
  const prober = new ReachabilityProber({
    list: async () => (await services.servers.list()).map((s) => s.name),
    check: (name, signal) => services.servers.checkAnswers(name, signal),
    onError: (err) => app.logger.warn({ err }, 'dashboard reachability probe failed'),
  });
  const dashboard = createDashboard({
    sources: defaultSources({
      jobs: services.jobs,
      servers: services.servers,
      config,
      remoteBash: services.remoteBash,
      safety: services.safety,
      audit: services.audit,
      templates: services.templates,
      reachability: async (name) => prober.state(name),
    }),
    token,
    tokenName: token.source.kind === 'env' ? DEFAULT_TOKEN_NAME : TOKEN_FILE,
    owned: [prober],
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
