// Runs the deploy scripts in a local sh with the server's /opt/deckhand/apps moved under a temp dir: their shell logic
// (locks, uploads, promotion) is tested for real without a server. Implements the part of RemoteShell they use.
import { spawn } from 'node:child_process';
import { APPS_DIR } from '../../../src/apps/deploy/types.js';
import { remoteFailed } from '../../../src/apps/deploy/remote.js';
import type { RemoteShell, ShellResult, ShellRunOptions } from '../../../src/ssh/remote-shell.js';

export class LocalRunner {
  readonly scripts: string[] = [];
  constructor(readonly appsDir: string) {}

  run(script: string, opts: ShellRunOptions = {}): Promise<ShellResult> {
    const local = script.split(APPS_DIR).join(this.appsDir);
    this.scripts.push(local);
    return new Promise((resolve) => {
      const child = spawn('sh', ['-c', local], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      // A script that exits without reading its stdin makes this write fail with EPIPE; its exit code is the answer.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin ?? '');
    });
  }

  async must(script: string, what: string, opts: ShellRunOptions = {}): Promise<ShellResult> {
    const r = await this.run(script, opts);
    if (r.code !== 0) throw remoteFailed(what, r);
    return r;
  }

  asRemote(): RemoteShell {
    return this as unknown as RemoteShell;
  }
}
