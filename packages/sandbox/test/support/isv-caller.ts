/** The ISV's side of the platform APIs, for tests: signed POSTs and verified answers. */
import { benefitApis, type PlatformApiName } from '@benefitkit/shared'
import { signRequest, verifyResponse, type PublicKeyring, type SigningKey } from '@benefitkit/shared/signing'
import { CLIENT_ID } from './keys.js'

export interface CallOptions {
  key: SigningKey
  platformKeyring: PublicKeyring
  clientId?: string
  method?: string
  time?: string
  /** Replace the Signature header; null leaves it out. */
  signature?: string | null
  contentType?: string | null
  /** Sign these bytes instead of the body sent (a bad signature). */
  signBody?: string
}

export interface PlatformAnswer {
  status: number
  headers: Headers
  text: string
  json: any
  /** Whether the answer is signed by the platform for this request. */
  signed: boolean
}

export async function callPlatform(baseUrl: string, apiOrPath: PlatformApiName | string, body: unknown, options: CallOptions): Promise<PlatformAnswer> {
  const path = apiOrPath in benefitApis ? benefitApis[apiOrPath as PlatformApiName].path : apiOrPath
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const clientId = options.clientId ?? CLIENT_ID
  const method = options.method ?? 'POST'
  const headers: Record<string, string> = signRequest({
    method,
    path,
    clientId,
    body: options.signBody ?? text,
    key: options.key,
    ...(options.time === undefined ? {} : { time: options.time }),
  })
  if (options.signature === null) delete headers.Signature
  else if (options.signature !== undefined) headers.Signature = options.signature
  if (options.contentType === null) delete headers['Content-Type']
  else if (options.contentType !== undefined) headers['Content-Type'] = options.contentType
  const response = await fetch(baseUrl + path, { method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.from(text) }) })
  const raw = Buffer.from(await response.arrayBuffer())
  const answerText = raw.toString('utf8')
  let json: unknown
  try {
    json = JSON.parse(answerText)
  } catch {
    json = undefined
  }
  const signed = verifyResponse({ method, path, clientId, headers: response.headers, body: raw, keyring: options.platformKeyring })
  return { status: response.status, headers: response.headers, text: answerText, json, signed }
}
