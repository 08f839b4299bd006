import { request } from 'node:http'

export interface RawAnswer {
  status: number
  headers: Record<string, string>
  raw: string
}

/**
 * Sends exactly these bytes with exactly these headers (plus Content-Length):
 * fuzz tests need requests no well-behaved client would produce.
 */
export function sendRaw(url: string, method: string, path: string, headers: Record<string, string>, body: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const flat: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') flat[k] = v
        resolve({ status: res.statusCode ?? 0, headers: flat, raw: Buffer.concat(chunks).toString('utf8') })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}
