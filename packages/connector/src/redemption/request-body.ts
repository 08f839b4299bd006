import type { IncomingMessage } from 'node:http'
import { formatIssues } from '@benefitkit/shared'
import type { z } from 'zod'
import { BodyTooLargeError, readRawBody } from '../http/raw-body.js'
import { invalidRequest } from './errors.js'

/** The exact request bytes (signatures and fingerprints cover them), at most `limit`. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    return await readRawBody(req, limit)
  } catch (error) {
    // The contract pairs INVALID_REQUEST with 400; the message says what to fix.
    if (error instanceof BodyTooLargeError) throw invalidRequest(`request body exceeds ${limit} bytes`)
    throw error
  }
}

/** Refuses bytes that are not UTF-8 instead of replacing them with U+FFFD (as the platform API does). */
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** Parses and validates a JSON body; a 400 names every field that is wrong. */
export function parseBody<S extends z.ZodType>(schema: S, raw: Buffer): z.output<S> {
  let text: string
  try {
    text = UTF8.decode(raw)
  } catch {
    throw invalidRequest('request body must be UTF-8 (JSON text)')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalidRequest('request body must be a JSON object')
  }
  const result = schema.safeParse(value)
  if (!result.success) throw invalidRequest(formatIssues(result.error))
  return result.data
}
