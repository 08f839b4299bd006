/** A client of the admin API for the ops tests: bearer token, JSON in and out. */

export const ADMIN_TOKEN = 'test-admin-token-0123456789'

export interface AdminAnswer {
  status: number
  headers: Headers
  json: any
  text: string
}

export async function admin(
  url: string,
  path: string,
  { method = 'GET', body, token = ADMIN_TOKEN, authorization }: { method?: string; body?: unknown; token?: string | null; authorization?: string } = {},
): Promise<AdminAnswer> {
  const headers: Record<string, string> = {}
  if (authorization !== undefined) headers.authorization = authorization
  else if (token !== null) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, json, text }
}
