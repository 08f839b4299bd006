import type { IncomingMessage } from 'node:http'

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError'
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`)
  }
}

/**
 * Reads the exact bytes of a request body, up to `limit`. Signatures are
 * verified over these bytes, never over re-serialised JSON.
 */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    req.resume()
    throw new BodyTooLargeError(limit)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > limit) {
      req.resume()
      throw new BodyTooLargeError(limit)
    }
    chunks.push(buffer)
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
}
