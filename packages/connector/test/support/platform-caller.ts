import { request } from 'node:http'
import { benefitApis, type IsvApiName } from '@benefitkit/shared'
import { signRequest, verifyResponse, type SigningKey } from '@benefitkit/shared/signing'
import { testKeys } from './keys.js'
import { TEST_CLIENT_ID } from './connector.js'

export interface IsvAnswer {
  status: number
  headers: Record<string, string>
  raw: string
  /** The parsed body (undefined when it is not JSON). */
  json: any
  /** Whether the connector's signature over this answer verifies with the ISV key. */
  signed: boolean
}

export interface CallOptions {
  clientId?: string
  /** Overrides Request-Time (e.g. a stale one). */
  time?: string
  key?: SigningKey
  /** Replace headers after signing (e.g. a broken Signature). */
  headers?: Record<string, string | undefined>
  method?: string
  path?: string
  /** Send these exact bytes instead of JSON.stringify(body). */
  rawBody?: string
}

/** Calls one of the connector's platform-facing APIs as the platform does: signed, over real HTTP. */
export async function callIsvApi(baseUrl: string, api: IsvApiName | null, body: unknown, options: CallOptions = {}): Promise<IsvAnswer> {
  const keys = testKeys()
  const path = options.path ?? benefitApis[api!].path
  const method = options.method ?? 'POST'
  const clientId = options.clientId ?? TEST_CLIENT_ID
  const raw = options.rawBody ?? JSON.stringify(body)
  const signed = signRequest({ method, path, clientId, body: raw, key: options.key ?? keys.platformSigning, ...(options.time ? { time: options.time } : {}) })
  const headers: Record<string, string> = { ...signed }
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    if (v === undefined) delete headers[k]
    else headers[k] = v
  }
  const url = new URL(path, baseUrl)
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(raw)) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const flat: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') flat[k] = v
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: flat,
          raw: text,
          json,
          signed: verifyResponse({ method, path, clientId, headers: flat, body: text, keyring: keys.isvKeyring }),
        })
      })
    })
    req.on('error', reject)
    req.end(method === 'GET' || method === 'HEAD' ? undefined : raw)
  })
}
