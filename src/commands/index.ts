import { errorMessage } from '../errors.js';
import { CliError, UsageError } from './io.js';
import { jobsCancel, CANCEL_USAGE } from './jobs-cancel.js';
import { jobsList, LIST_USAGE } from './jobs-list.js';
import { jobsLogs, LOGS_USAGE } from './jobs-logs.js';
import { jobsShow, SHOW_USAGE } from './jobs-show.js';
import { pool, POOL_USAGE } from './pool.js';
import { serversImport, SERVERS_IMPORT_USAGE } from './servers-import.js';
import { serversList, SERVERS_LIST_USAGE } from './servers-list.js';
import { serversPolicy, SERVERS_POLICY_USAGE } from './servers-policy.js';
import { approvalsList, approve, APPROVALS_USAGE, APPROVE_USAGE, deny, DENY_USAGE } from './approvals.js';
import { grantsList, grantsRevoke, GRANTS_LIST_USAGE, GRANTS_REVOKE_USAGE } from './grants.js';
import {
  auditExport,
  auditTail,
  auditVerify,
  AUDIT_EXPORT_USAGE,
  AUDIT_TAIL_USAGE,
  AUDIT_VERIFY_USAGE,
} from './audit.js';
import {
  schedulesList,
  schedulesNext,
  schedulesPause,
  schedulesResume,
  schedulesRun,
  SCHEDULES_LIST_USAGE,
  SCHEDULES_NEXT_USAGE,
  SCHEDULES_PAUSE_USAGE,
  SCHEDULES_RESUME_USAGE,
  SCHEDULES_RUN_USAGE,
} from './schedules.js';
import {
  templatesHistory,
  templatesList,
  templatesRun,
  templatesShow,
  TEMPLATES_HISTORY_USAGE,
  TEMPLATES_LIST_USAGE,
  TEMPLATES_RUN_USAGE,
  TEMPLATES_SHOW_USAGE,
} from './templates.js';
import type { CliContext, CommandSpec } from './table.js';

export { CliOutput, UsageError } from './io.js';
export { parseCommand } from './args.js';
export { findCommand, usageText, type CliContext, type CommandSpec } from './table.js';

/** The human CLI's commands (cli.ts adds serve and the global flags). */
export const CLI_COMMANDS: readonly CommandSpec<CliContext>[] = [
  { words: ['servers', 'list'], usage: SERVERS_LIST_USAGE, summary: 'list registered servers', run: serversList },
  {
    words: ['servers', 'import'],
    usage: SERVERS_IMPORT_USAGE,
    summary: 'register the hosts of an ssh config (default ~/.ssh/config) matching PATTERN, jump hosts too',
    run: serversImport,
  },
  { words: ['jobs', 'list'], usage: LIST_USAGE, summary: 'recent jobs, newest first', run: jobsList },
  { words: ['jobs', 'show'], usage: SHOW_USAGE, summary: "one job's record", run: jobsShow },
  {
    words: ['jobs', 'logs'],
    usage: LOGS_USAGE,
    summary: "a job's output; -f follows it until the job ends (exit 0 completed, 1 failed or lost, 130 cancelled)",
    run: jobsLogs,
  },
  {
    words: ['jobs', 'cancel'],
    usage: CANCEL_USAGE,
    summary: 'cancel a job (waits up to S seconds, default 15)',
    run: jobsCancel,
  },
  {
    words: ['pool'],
    usage: POOL_USAGE,
    summary: 'the deckhand instances sharing the job system, their slots, per-server counts and the queue',
    run: pool,
  },
  {
    words: ['templates', 'list'],
    usage: TEMPLATES_LIST_USAGE,
    summary: 'saved templates: schedule in words and next run, runs, success rate, p50/p95, last run',
    run: templatesList,
  },
  {
    words: ['templates', 'show'],
    usage: TEMPLATES_SHOW_USAGE,
    summary: "a template's definition (env names, never values), versions, statistics, recent runs, schedule events",
    run: templatesShow,
  },
  {
    words: ['templates', 'history'],
    usage: TEMPLATES_HISTORY_USAGE,
    summary: "a template's runs, newest first",
    run: templatesHistory,
  },
  {
    words: ['templates', 'run'],
    usage: TEMPLATES_RUN_USAGE,
    summary:
      'run a template now through policy (prints the job id; --yes confirms what policy would ask; --wait follows it to its end)',
    run: (args, ctx) => templatesRun(args, ctx),
  },
  {
    words: ['schedules', 'list'],
    usage: SCHEDULES_LIST_USAGE,
    summary: 'templates with a schedule: in words, tz, next run, paused, last slot',
    run: schedulesList,
  },
  {
    words: ['schedules', 'pause'],
    usage: SCHEDULES_PAUSE_USAGE,
    summary: "pause a template's schedule",
    run: schedulesPause,
  },
  {
    words: ['schedules', 'resume'],
    usage: SCHEDULES_RESUME_USAGE,
    summary: 'resume it (slots missed meanwhile follow its catch_up)',
    run: schedulesResume,
  },
  {
    words: ['schedules', 'run'],
    usage: SCHEDULES_RUN_USAGE,
    summary: 'run a scheduled template now, outside its slots (as templates run)',
    run: (args, ctx) => schedulesRun(args, ctx),
  },
  {
    words: ['schedules', 'next'],
    usage: SCHEDULES_NEXT_USAGE,
    summary: "the next N slot times (default 5) in the schedule's tz",
    run: schedulesNext,
  },
  {
    words: ['servers', 'policy'],
    usage: SERVERS_POLICY_USAGE,
    summary: "show or change a server's policy (only a person can loosen it)",
    run: serversPolicy,
  },
  {
    words: ['approvals'],
    usage: APPROVALS_USAGE,
    summary: 'calls waiting for a person to approve them',
    run: approvalsList,
  },
  {
    words: ['approve'],
    usage: APPROVE_USAGE,
    summary: 'approve a waiting call (it runs when the assistant makes it again); --for also allows it for a while',
    run: approve,
  },
  { words: ['deny'], usage: DENY_USAGE, summary: 'refuse a waiting call', run: deny },
  {
    words: ['grants', 'list'],
    usage: GRANTS_LIST_USAGE,
    summary: 'grants in force (patterns allowed for a while)',
    run: grantsList,
  },
  { words: ['grants', 'revoke'], usage: GRANTS_REVOKE_USAGE, summary: 'end a grant now', run: grantsRevoke },
  {
    words: ['audit', 'verify'],
    usage: AUDIT_VERIFY_USAGE,
    summary: 'check the audit log: names the first edited, removed or moved entry (exit 1)',
    run: auditVerify,
  },
  { words: ['audit', 'tail'], usage: AUDIT_TAIL_USAGE, summary: 'the last audit entries; -f follows', run: auditTail },
  { words: ['audit', 'export'], usage: AUDIT_EXPORT_USAGE, summary: 'the audit log as JSON lines', run: auditExport },
];

/** Runs one command and turns its errors into the exit codes people and scripts expect (2: usage, 1: failure). */
export async function runCliCommand(spec: CommandSpec<CliContext>, args: string[], ctx: CliContext): Promise<number> {
  try {
    return await spec.run(args, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.io.warn(`deckhand: ${e.message}`);
      ctx.io.warn(`Usage:\n  ${e.usage ?? spec.usage}`);
      return 2;
    }
    ctx.io.warn(`deckhand: ${errorMessage(e)}`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}
