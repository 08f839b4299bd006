/** The CLI's calls to a running sandbox's control API. */

export class ControlError extends Error {
  override readonly name = 'ControlError'
  readonly code: string
  readonly status: number | undefined

  constructor(code: string, message: string, status?: number) {
    super(message)
    this.code = code
    this.status = status
  }
}

export async function control<T>(baseUrl: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const url = `${baseUrl.replace(/\/+$/, '')}/sandbox${path}`
  let response: Response
  try {
    response = await fetch(url, {
      method,
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
    throw new ControlError('UNREACHABLE', `cannot reach the sandbox at ${baseUrl} (${cause}); start it with \`serve\` or pass --url`)
  }
  const text = await response.text()
  const json = text ? (JSON.parse(text) as unknown) : undefined
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error
    throw new ControlError(error?.code ?? `HTTP_${response.status}`, error?.message ?? `HTTP ${response.status}`, response.status)
  }
  return json as T
}
