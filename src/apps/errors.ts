import { DeckhandError, type ErrorCode } from '../errors.js';

/**
 * A problem with an app definition, its inputs or a user's compose file. `issues` lists every problem found,
 * not just the first, so one answer tells the model everything it has to fix.
 */
export class AppSpecError extends DeckhandError {
  readonly issues: readonly string[];

  constructor(
    code: ErrorCode,
    message: string,
    issues: readonly string[],
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'AppSpecError';
    this.issues = Object.freeze([...issues]);
  }
}

function summarize(prefix: string, issues: readonly string[]): string {
  return issues.length === 1 ? `${prefix}: ${issues[0]}` : `${prefix}:\n- ${issues.join('\n- ')}`;
}

export class CatalogueError extends AppSpecError {
  constructor(issues: readonly string[], options: { cause?: unknown } = {}) {
    super('catalogue_invalid', summarize('the app catalogue is invalid', issues), issues, options);
    this.name = 'CatalogueError';
  }
}

export class UnknownAppError extends AppSpecError {
  constructor(name: string, known: readonly string[]) {
    const issue = `there is no app named '${name}' in the catalogue`;
    super('unknown_app', issue, [issue], { hint: `Known apps: ${known.join(', ')}.` });
    this.name = 'UnknownAppError';
  }
}

export class DependencyError extends AppSpecError {
  constructor(issue: string) {
    super('dependency_invalid', issue, [issue]);
    this.name = 'DependencyError';
  }
}

export class EnvValidationError extends AppSpecError {
  constructor(app: string, issues: readonly string[]) {
    super('env_invalid', summarize(`the env for ${app} is invalid`, issues), issues, {
      hint: 'Fix the listed keys and deploy again; list-apps shows every setting an app takes.',
    });
    this.name = 'EnvValidationError';
  }
}

export class ComposeValidationError extends AppSpecError {
  constructor(issues: readonly string[], options: { cause?: unknown } = {}) {
    super('compose_invalid', summarize('the compose file cannot be deployed', issues), issues, options);
    this.name = 'ComposeValidationError';
  }
}

export class RenderError extends AppSpecError {
  constructor(app: string, issues: readonly string[]) {
    super('render_invalid', summarize(`cannot render ${app}`, issues), issues);
    this.name = 'RenderError';
  }
}
