/**
 * A small fake connector for the sandbox's tests: verifies the platform's
 * signed calls, answers them signed with the ISV key (flat shape), issues
 * idempotently, and can be scripted to misbehave for the next calls.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { benefitApis, formatProtocolTime, keyParameterFingerprint, statusOfCode, type IsvApiName } from '@benefitkit/shared'
import { loadPublicKey, PublicKeyring, signResponse, verifyRequest, type SigningKey } from '@benefitkit/shared/signing'
import { CLIENT_ID } from './keys.js'

export type Behaviour =
  | { kind: 'code'; code: string }
  | { kind: 'http'; status: number }
  | { kind: 'drop' }
  /** Process normally, then answer without a Signature header. */
  | { kind: 'unsigned' }
  /** Process normally, then sign other bytes. */
  | { kind: 'badSignature' }
  /** Process normally, then answer this (e.g. a success without benefitDetails). */
  | { kind: 'raw'; body: unknown }

export interface Received {
  api: IsvApiName | 'unknown'
  path: string
  body: string
  json: any
  verified: boolean
  verifyCode?: string
  headers: IncomingMessage['headers']
}

const API_BY_PATH = new Map<string, IsvApiName>(
  (['notifyBenefitSync', 'issueBenefit', 'reverseBenefitIssue', 'inquireBenefitIssue'] as const).map((a) => [benefitApis[a].path, a]),
)

interface Issued {
  fingerprint: string
  details: Array<Record<string, unknown>>
}

export class FakeIsv {
  readonly received: Received[] = []
  readonly issued = new Map<string, Issued>()
  readonly reversed = new Set<string>()
  readonly #scripts = new Map<IsvApiName, Behaviour[]>()
  readonly #key: SigningKey
  readonly #platformKeyring: PublicKeyring
  #server: Server | undefined
  #nextInstance = 1
  url = ''

  constructor(key: SigningKey, platformPublicKeyBase64: string) {
    this.#key = key
    this.#platformKeyring = new PublicKeyring({ '1': loadPublicKey(platformPublicKeyBase64) })
  }

  /** The next calls of `api` behave like this, in order; then normal again. */
  script(api: IsvApiName, ...behaviours: Behaviour[]): void {
    this.#scripts.set(api, [...(this.#scripts.get(api) ?? []), ...behaviours])
  }

  of(api: IsvApiName): Received[] {
    return this.received.filter((r) => r.api === api)
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.#handle(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    this.#server = server
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return this.url
  }

  async stop(): Promise<void> {
    const server = this.#server
    if (!server) return
    this.#server = undefined
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await closed
  }

  async #handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks)
    const path = req.url ?? '/'
    const api = API_BY_PATH.get(path) ?? 'unknown'
    const check = verifyRequest({ method: req.method ?? 'POST', path, headers: req.headers, body: raw, keyring: this.#platformKeyring, expectedClientId: CLIENT_ID })
    let json: any
    try {
      json = JSON.parse(raw.toString('utf8'))
    } catch {
      json = undefined
    }
    this.received.push({ api, path, body: raw.toString('utf8'), json, verified: check.ok, ...(check.ok ? {} : { verifyCode: check.code }), headers: req.headers })

    const send = (answer: unknown, how: 'signed' | 'unsigned' | 'bad' = 'signed'): void => {
      const body = Buffer.from(JSON.stringify(answer))
      const headers = signResponse({ path, clientId: CLIENT_ID, body: how === 'bad' ? Buffer.concat([body, Buffer.from('x')]) : body, key: this.#key, time: formatProtocolTime() })
      if (how === 'unsigned') delete (headers as Record<string, string>).Signature
      res.writeHead(200, headers)
      res.end(body)
    }
    const flat = (code: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      success: statusOfCode(code) === 'S',
      resultCode: code,
      resultMessage: code.toLowerCase(),
      ...extra,
    })

    if (api === 'unknown') return send(flat('INVALID_API'))
    if (!check.ok) return send(flat(check.code))

    const behaviour = this.#scripts.get(api)?.shift()
    if (behaviour?.kind === 'drop') {
      req.socket.destroy()
      return
    }
    if (behaviour?.kind === 'http') {
      res.writeHead(behaviour.status, { 'Content-Type': 'text/plain' })
      res.end('injected')
      return
    }
    if (behaviour?.kind === 'code') return send(flat(behaviour.code))

    const answer = this.#process(api, json)
    if (behaviour?.kind === 'raw') return send(behaviour.body)
    send(answer, behaviour?.kind === 'unsigned' ? 'unsigned' : behaviour?.kind === 'badSignature' ? 'bad' : 'signed')
  }

  #process(api: IsvApiName, request: any): Record<string, unknown> {
    const flat = (code: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      success: statusOfCode(code) === 'S',
      resultCode: code,
      resultMessage: code.toLowerCase(),
      ...extra,
    })
    const id = request?.benefitIssueRequestId as string
    switch (api) {
      case 'notifyBenefitSync':
        return flat('SUCCESS')
      case 'issueBenefit': {
        if (this.reversed.has(id)) return flat('BIZ_ERROR_NO_RETRY')
        const fingerprint = keyParameterFingerprint('issueBenefit', request)
        const existing = this.issued.get(id)
        if (existing) return existing.fingerprint === fingerprint ? flat('SUCCESS', { benefitDetails: existing.details }) : flat('REPEAT_REQ_INCONSISTENT')
        const now = Date.now()
        const details = Array.from({ length: request.quantity as number }, () => {
          const n = this.#nextInstance++
          return {
            benefitInstanceId: `inst-${n}`,
            benefitTemplateId: request.benefitTemplateId,
            status: 'ACTIVATED',
            activateTime: formatProtocolTime(now),
            expireTime: formatProtocolTime(now + 86_400_000),
            benefitCode: `CODE-${n}`,
          }
        })
        this.issued.set(id, { fingerprint, details })
        return flat('SUCCESS', { benefitDetails: details })
      }
      case 'inquireBenefitIssue': {
        const existing = this.issued.get(id)
        if (!existing) return flat('ISSUE_REQUEST_ID_NOT_EXIST')
        const status = this.reversed.has(id) ? 'REVERSED' : 'ACTIVATED'
        return flat('SUCCESS', { benefitDetails: existing.details.map((d) => ({ ...d, status })) })
      }
      case 'reverseBenefitIssue':
        this.reversed.add(id)
        return flat('SUCCESS')
    }
  }
}
