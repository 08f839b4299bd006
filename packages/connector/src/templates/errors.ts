/**
 * Why a template operation was refused, with every problem listed. `kind` lets
 * an HTTP caller pick a status (invalid → 400, not-found → 404, conflict → 409)
 * and the CLI print the list and exit 1.
 */
export type TemplateErrorKind = 'invalid' | 'not-found' | 'conflict'

export class TemplateError extends Error {
  override readonly name = 'TemplateError'
  constructor(
    readonly kind: TemplateErrorKind,
    readonly problems: readonly string[],
    summary = kind === 'invalid' ? 'the template is not valid' : problems[0] ?? kind,
  ) {
    super(problems.length > 1 || kind === 'invalid' ? `${summary}:\n${problems.map((p) => `  - ${p}`).join('\n')}` : summary)
  }
}

export function isTemplateError(error: unknown): error is TemplateError {
  return error instanceof Error && error.name === 'TemplateError' && Array.isArray((error as TemplateError).problems)
}
