import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { CLI } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const run = promisify(execFile);
const INSPECTOR = '@modelcontextprotocol/inspector@2';

/**
 * npx with the inspector; when it fails and the npm registry cannot be reached, the failure says that this is what is
 * missing (not deckhand) and how to get it.
 */
async function runInspector(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number; maxBuffer: number },
): Promise<{ stdout: string }> {
  try {
    return await run(file, args, { ...options, encoding: 'utf8' });
  } catch (err) {
    const ping = await run('npm', ['ping'], { timeout: 30_000 }).then(
      () => undefined,
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    if (ping === undefined) throw err;
    throw new Error(
      `The inspector test needs the npm registry: npx fetches ${INSPECTOR} from it (about 40 s the first time), and ` +
        `the registry cannot be reached (npm ping: ${ping.split('\n')[0]}). Allow access to it (or set npm's registry ` +
        `to a mirror), or fill the npx cache once where it can be reached: npx -y ${INSPECTOR} --help.`,
      { cause: err },
    );
  }
}

/**
 * The MCP Inspector's CLI (a client written by others) against the built stdio server. npx fetches it from the
 * npm registry on first use (about 40 s); without registry access this test fails rather than skipping.
 */
describe('MCP Inspector CLI against the stdio server', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let cwd: string;

  const inspector = async (args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await runInspector(
      'npx',
      [
        '-y',
        INSPECTOR,
        '--cli',
        process.execPath,
        CLI,
        '-e',
        `DECKHAND_HOME=${home.dir}`,
        '-e',
        'DECKHAND_LOG_LEVEL=warn',
        '--format',
        'json',
        ...args,
      ],
      // Its own directory and catalog, so neither the project nor the user's inspector settings are touched.
      {
        cwd,
        env: { ...process.env, MCP_CATALOG_PATH: path.join(cwd, 'mcp.json') },
        timeout: 240_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return JSON.parse(stdout) as Record<string, unknown>;
  };
  const callTool = async (name: string, args: Record<string, unknown>) =>
    (await inspector(['--method', 'tools/call', '--tool-name', name, '--tool-args-json', JSON.stringify(args)]))
      .result as { isError?: boolean; structuredContent: Record<string, unknown>; content: unknown[] };

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-inspector-'));
  });
  afterAll(async () => {
    await sshd?.stop();
    home?.cleanup();
    if (cwd) fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('lists the tools', { timeout: 300_000 }, async () => {
    const out = (await inspector(['--method', 'tools/list'])) as {
      result: { tools: { name: string; execution?: { taskSupport?: string } }[] };
    };
    const tools = out.result.tools;
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['add-server', 'list-servers', 'remote-bash', 'get-job-status', 'cancel-job']),
    );
    expect(tools.find((t) => t.name === 'remote-bash')?.execution?.taskSupport).toBe('optional');
  });

  it(
    'calls list-servers and remote-bash on a server registered in the DECKHAND_HOME',
    { timeout: 300_000 },
    async () => {
      const added = await callTool('add-server', {
        name: 'box',
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        private_key_path: sshd.clientKey,
      });
      expect(added.isError ?? false).toBe(false);
      const listed = await callTool('list-servers', {});
      expect(listed.structuredContent.servers).toEqual([
        expect.objectContaining({ name: 'box', host: sshd.host, port: sshd.port }),
      ]);
      const ran = await callTool('remote-bash', {
        server: 'box',
        command: 'echo from-inspector; echo oops >&2; exit 4',
      });
      expect(ran.structuredContent).toMatchObject({
        status: 'failed',
        exit_code: 4,
        stdout: 'from-inspector',
        stderr: 'oops',
      });
      expect(ran.content).toContainEqual(expect.objectContaining({ type: 'resource_link' }));
    },
  );
});
