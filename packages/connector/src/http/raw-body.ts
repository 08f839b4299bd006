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
 *
 * Plain 'data'/'end' listeners rather than `for await (… of req)`: the async
 * iterator and its end-of-stream bookkeeping cost several µs per request on
 * paths whose whole budget is tens of µs (bench/RESULTS.md).
 */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    req.resume()
    return Promise.reject(new BodyTooLargeError(limit))
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0))
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const settle = (error: Error | undefined) => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
      if (error) reject(error)
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
    }
    function onData(chunk: Buffer): void {
      size += chunk.length
      if (size > limit) {
        // Drain the rest unread, so the connection can still carry the answer.
        settle(new BodyTooLargeError(limit))
        req.resume()
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => settle(undefined)
    const onError = (error: Error) => settle(error)
    // The caller hung up before the body was complete.
    const onClose = () => settle(Object.assign(new Error('request aborted before its body was complete'), { code: 'ECONNRESET' }))
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}
