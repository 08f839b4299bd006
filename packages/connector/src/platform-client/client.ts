import {
  benefitApis,
  InquireBenefitSyncAnswer,
  type PlatformApiName,
  type SyncFailCode,
  type SyncStatus,
} from '@benefitkit/shared'
import { signRequest, verifyResponse, type PublicKeyring, type SigningKey } from '@benefitkit/shared/signing'
import { outcomeOfAnswer, outcomeOfTransportError, type PlatformOutcome } from './outcome.js'
import { createHttpTransport, TransportError, type Transport } from './transport.js'

export interface PlatformClientOptions {
  /** The platform's base URL; a path in it (a gateway prefix) is kept and signed. */
  baseUrl: string
  clientId: string
  /** Our key: signs every request. */
  signing: SigningKey
  /** The platform's keys: verify every answer. */
  platformKeys: PublicKeyring
  /** Deadline of one call, connect to last answer byte. */
  timeoutMs: number
  /** Keep-alive sockets per origin; at least the outbox concurrency. */
  maxSockets?: number
  /** Injectable for tests; defaults to node:http(s) with a keep-alive agent. */
  transport?: Transport
}

export interface CallOptions {
  /** Aborts the call in flight (its outcome is then U: it may have arrived). */
  signal?: AbortSignal | undefined
}

export interface InquireSyncResult {
  outcome: PlatformOutcome
  /** Present when the outcome is S and the answer carried a valid syncStatus. */
  syncStatus?: SyncStatus
  syncFailCode?: SyncFailCode
  syncFailReason?: string
}

/**
 * The signed client of the three platform APIs. It signs the exact body it
 * sends, verifies the platform's signature over the exact bytes it receives,
 * and turns everything into S / F / U. It never throws for a failed call.
 */
export class PlatformClient {
  readonly #options: Readonly<Omit<PlatformClientOptions, 'transport'>>
  readonly #transport: Transport
  readonly #base: URL

  constructor(options: PlatformClientOptions) {
    this.#options = Object.freeze({ ...options })
    this.#transport = options.transport ?? createHttpTransport({ maxSockets: options.maxSockets ?? 64 })
    this.#base = new URL(options.baseUrl)
  }

  /** The request path (gateway prefix + API path): what goes on the request line and into the signature. */
  pathOf(api: PlatformApiName): string {
    return `${this.#base.pathname.replace(/\/+$/, '')}${benefitApis[api].path}`
  }

  /**
   * Sends `body` — the exact string, byte-identical on every attempt — to `api`.
   * Each call gets a fresh Request-Time and signature; the body never changes.
   */
  async send(api: PlatformApiName, body: string, options: CallOptions = {}): Promise<PlatformOutcome> {
    const { clientId, signing, platformKeys, timeoutMs } = this.#options
    const path = this.pathOf(api)
    const url = new URL(path, this.#base)
    const started = performance.now()
    const headers = signRequest({ path, clientId, body, key: signing })
    try {
      const answer = await this.#transport.post({ url, headers, body, timeoutMs, signal: options.signal })
      // The answer is bound to our request: same method, path and Client-Id.
      const signatureValid = verifyResponse({ path, clientId, headers: answer.headers, body: answer.body, keyring: platformKeys })
      return outcomeOfAnswer(answer.status, signatureValid, answer.body, performance.now() - started)
    } catch (error) {
      if (error instanceof TransportError) return outcomeOfTransportError(error, performance.now() - started)
      throw error
    }
  }

  /** Asks the review outcome of a syncBenefit (its benefitSyncRequestId). */
  async inquireBenefitSync(benefitSyncRequestId: string, options: CallOptions = {}): Promise<InquireSyncResult> {
    const outcome = await this.send('inquireBenefitSync', JSON.stringify({ benefitSyncRequestId }), options)
    if (outcome.status !== 'S') return { outcome }
    const parsed = InquireBenefitSyncAnswer.safeParse(outcome.answer)
    if (!parsed.success || parsed.data.syncStatus === undefined) {
      // A success without a readable status tells us nothing: treat it as unknown.
      return { outcome: { ...outcome, status: 'U', code: 'MALFORMED_ANSWER', message: 'inquiry answer has no valid syncStatus', retryable: true } }
    }
    const { syncStatus, syncFailCode, syncFailReason } = parsed.data
    return {
      outcome,
      syncStatus,
      ...(syncFailCode !== undefined ? { syncFailCode } : {}),
      ...(syncFailReason !== undefined ? { syncFailReason } : {}),
    }
  }

  /** Closes the keep-alive sockets. */
  close(): void {
    this.#transport.close()
  }
}
