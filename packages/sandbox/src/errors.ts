/**
 * A refused control call (release of an unknown template, a fault that makes no
 * sense, …). `code` is stable for scripts; `status` is what the control API
 * answers with.
 */
export class SandboxError extends Error {
  override readonly name = 'SandboxError'
  readonly code: string
  readonly status: number

  constructor(code: string, message: string, status = 400) {
    super(message)
    this.code = code
    this.status = status
  }
}

/** Options that cannot work; every problem is listed in the message. */
export class SandboxConfigError extends Error {
  override readonly name = 'SandboxConfigError'
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super(`invalid sandbox options:\n  - ${problems.join('\n  - ')}`)
    this.problems = problems
  }
}
