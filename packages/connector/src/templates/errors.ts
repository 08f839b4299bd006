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
    /** A headline above the list; without one, a single problem is the whole message. */
    summary?: string,
  ) {
    const head = summary ?? (kind === 'invalid' ? 'the template is not valid' : undefined)
    super(
      head === undefined && problems.length === 1
        ? problems[0]!
        : `${head ?? `template ${kind}`}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    )
  }
}

export function isTemplateError(error: unknown): error is TemplateError {
  return error instanceof Error && error.name === 'TemplateError' && Array.isArray((error as TemplateError).problems)
}
