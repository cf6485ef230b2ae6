// The floor plan's rules (issue 12), checked by `npm run check:deps` (part of `npm run check`). Import cycles are
// madge's job (`madge --circular`); this file is about which way the arrows between folders may point.
//
//   cli.ts                  the entry: the only module that imports app.ts (and nothing imports it)
//   app.ts                  composition root: may import anything below
//   mcp/  commands/  dashboard/   adapters (three doors to the same services): features only through their
//                           index.ts, the job kernel only through its facade jobs/index.ts, never each other
//   <features>/             every other top folder (remote-bash, servers, provisioning, setup, apps, templates,
//                           safety, files, audit, …): other features only through their index.ts
//   jobs/                   the job kernel: no feature, no adapter, no ssh/ (it may use the pure cores below)
//   ssh/  providers/        leaves: nothing above them, not even jobs/
//   policy/  web/  audit's chain core (audit/{canonical,chain,entry,sink,verify,mask}.ts)   pure cores: the
//                           command classifier and policy rules, the HTTP guards and asset location shared by the
//                           two web doors, the audit hash chain; they import only shared modules and each other
//   config.ts config-env.ts errors.ts format.ts timing.ts logger.ts version.ts heap.ts   shared by all: import no
//                           feature, adapter or kernel (config parses policies through policy/)
//
// The kernel's facade jobs/index.ts re-exports what JobService speaks (the record and its states, log lines, the
// change stream, batch's type name). Everything else in jobs/ (engine, scheduler, runs, recovery, stores, the log
// writer and reader, files, kit/, kernel.ts) is the kernel's own.
//
// Violations that exist today and belong to parts being rebuilt are listed in .dependency-cruiser-known-violations.json
// (`npm run check:deps:baseline` rewrites it); the check fails on any other, and says so for every new one.

const LAYERS = ['mcp', 'commands', 'dashboard', 'jobs', 'ssh', 'providers', 'policy', 'web'];
/** A top folder of src/ that is not a layer: a feature. */
const FEATURE = `^src/(?!(?:${LAYERS.join('|')})/)([^/]+)/`;
const ADAPTER = '^src/(mcp|commands|dashboard)/';
const SHARED = '^src/(config|config-env|errors|format|timing|logger|version|heap)\\.ts$';
const CORE = ['^src/(policy|web)/', '^src/audit/(canonical|chain|entry|sink|verify|mask)\\.ts$'];
const JOBS_FACADE = '^src/jobs/index\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'feature-through-index',
      comment: 'A feature reaches another feature only through its index.ts, the one door it keeps.',
      severity: 'error',
      from: { path: FEATURE },
      to: { path: FEATURE, pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', ...CORE] },
    },
    {
      name: 'adapter-to-feature-through-index',
      comment: 'mcp/ and commands/ call a feature through its index.ts (its service and the types it exports).',
      severity: 'error',
      from: { path: ADAPTER },
      to: { path: FEATURE, pathNot: ['^src/[^/]+/index\\.ts$', ...CORE] },
    },
    {
      name: 'adapter-to-kernel-through-facade',
      comment: `mcp/ and commands/ reach the job kernel only through its facade: ${JOBS_FACADE}.`,
      severity: 'error',
      from: { path: ADAPTER },
      to: { path: '^src/jobs/', pathNot: JOBS_FACADE },
    },
    {
      name: 'adapter-not-to-leaves',
      comment: 'The adapters go through a feature, not around it to ssh/ or providers/.',
      severity: 'error',
      from: { path: ADAPTER },
      to: { path: '^src/(ssh|providers)/' },
    },
    {
      name: 'adapters-apart',
      comment:
        'The MCP surface, the human CLI and the dashboard are doors to the same services; none goes through another.',
      severity: 'error',
      from: { path: ADAPTER },
      to: { path: ADAPTER, pathNot: '^src/$1/' },
    },
    {
      name: 'kernel-and-leaves-stay-below',
      comment: 'jobs/, ssh/ and providers/ import nothing above them: no adapter, feature, app.ts or cli.ts.',
      severity: 'error',
      from: { path: '^src/(jobs|ssh|providers)/' },
      to: { path: [ADAPTER, FEATURE, '^src/(app|cli)\\.ts$'], pathNot: CORE },
    },
    {
      name: 'cores-stay-pure',
      comment: 'The pure cores import only shared modules and each other.',
      severity: 'error',
      from: { path: CORE },
      to: { path: [ADAPTER, FEATURE, '^src/(jobs|ssh|providers)/', '^src/(app|cli)\\.ts$'], pathNot: CORE },
    },
    {
      name: 'leaves-not-to-kernel',
      comment: 'ssh/ and providers/ are leaves: they take callbacks instead of importing the job kernel.',
      severity: 'error',
      from: { path: '^src/(ssh|providers)/' },
      to: { path: '^src/jobs/' },
    },
    {
      name: 'kernel-not-to-ssh',
      comment: 'The job kernel runs handlers; how a handler reaches a server (ssh/) is the feature’s business.',
      severity: 'error',
      from: { path: '^src/jobs/' },
      to: { path: '^src/ssh/' },
    },
    {
      name: 'shared-modules-stay-below',
      comment:
        'config, errors, format, logger, version and heap are imported by everyone, so they import no feature, adapter, kernel or app.',
      severity: 'error',
      from: { path: SHARED },
      to: { path: [ADAPTER, FEATURE, '^src/jobs/', '^src/(app|cli)\\.ts$'], pathNot: CORE },
    },
    {
      name: 'only-cli-imports-app',
      comment: 'app.ts is the composition root; only the entry (cli.ts) builds it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli\\.ts$' },
      to: { path: '^src/app\\.ts$' },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'cli.ts touches the process (argv, env, signals, exit); importing it would run it.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/cli\\.ts$' },
    },
  ],
  options: {
    includeOnly: '^src/',
    // Type-only imports are arrows too: a type from the wrong folder ties the two folders together all the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
