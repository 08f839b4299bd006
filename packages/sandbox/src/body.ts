import type { IncomingMessage } from 'node:http'

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError'
}

/**
 * The request body as the exact bytes received: signatures are verified over
 * these, never over re-serialised JSON. No body parser middleware for that reason.
 */
export async function readRawBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > limitBytes) throw new BodyTooLargeError(`body is larger than ${limitBytes} bytes`)
    chunks.push(buffer)
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}
