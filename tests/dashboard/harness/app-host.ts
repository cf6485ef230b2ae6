// A minimal MCP Apps host for tests, run in Chromium: it renders an app's HTML in a sandboxed iframe (with the CSP
// a host derives from the resource's _meta.ui.csp), connects ext-apps' AppBridge to it over postMessage, hands it a
// tool result, and proxies the app's tool calls to the test (which forwards them to a real deckhand).
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

interface HarnessWindow {
  /** Exposed by the test (playwright exposeFunction): one tools/call on the real server. */
  callDeckhandTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<CallToolResult>;
  renderApp(html: string, csp: string, toolInput: Record<string, unknown>, toolResult: CallToolResult): Promise<void>;
  appCalls: string[];
}

const w = window as unknown as HarnessWindow;
w.appCalls = [];

w.renderApp = async (html, csp, toolInput, toolResult) => {
  const iframe = document.createElement('iframe');
  iframe.id = 'app';
  // No allow-same-origin: the app runs in an opaque origin, as hosts sandbox it.
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.style.width = '900px';
  iframe.style.height = '420px';
  document.body.appendChild(iframe);
  const bridge = new AppBridge(null, { name: 'deckhand-test-host', version: '1.0.0' }, { serverTools: {} });
  bridge.oncalltool = async (params) => {
    w.appCalls.push(params.name);
    return w.callDeckhandTool({ name: params.name, arguments: params.arguments });
  };
  const initialized = new Promise<void>((r) => (bridge.oninitialized = () => r()));
  // Listening before the app loads: its ui/initialize is the first thing its script sends. The frame's window
  // proxy stays the same when its document changes.
  const win = iframe.contentWindow as Window;
  await bridge.connect(new PostMessageTransport(win, win));
  iframe.srcdoc = html.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="${csp}">`);
  await initialized;
  await bridge.sendToolInput({ arguments: toolInput });
  await bridge.sendToolResult(toolResult);
};
