import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import type { Dashboard } from './dashboard.js';

export interface DashboardServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves the dashboard alone on a loopback port (`deckhand dashboard`, for people whose MCP client uses stdio). */
export async function serveDashboard(
  dashboard: Dashboard,
  logger: Logger,
  opts: { readonly host: string; readonly port: number },
): Promise<DashboardServer> {
  const server = http.createServer((req, res) => {
    dashboard.handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'dashboard request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error.\n');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    async close() {
      await dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
