/**
 * The sandbox: a local stand-in for the platform and the super app, speaking
 * protocol.md from the platform's side. One class with start()/stop(); its
 * parts (platform APIs, review and notify, the super app's collect, the fault
 * board, the control API) are small modules wired here.
 */
import type { Server } from 'node:http'
import type { EventEmitter } from 'node:events'
import { benefitApis, type ExternalBenefitDetail } from '@benefitkit/shared'
import { CallLog, type CallFilter, type CallRecord } from './call-log.js'
import { controlApi } from './control-api.js'
import { SandboxError } from './errors.js'
import { EventHub, type SandboxEvent, type SandboxEventListener } from './events.js'
import { FaultBoard, parseFaultSpec, type FaultSpec, type FaultView, type ReviewSetting } from './faults.js'
import { IsvClient, type OutboundAttempt } from './isv-client.js'
import { Notifier } from './notify.js'
import { normalizeBaseUrl, resolveOptions, type ResolvedOptions, type SandboxOptions } from './options.js'
import type { PlatformContext } from './platform-api/context.js'
import { platformApi } from './platform-api/pipeline.js'
import { scheduleReview, type ReviewDeps } from './review.js'
import { closeServer, createApp, listen } from './server.js'
import {
  SandboxState,
  type CollectOutcome,
  type InstanceRecord,
  type IssueRecord,
  type SyncRecord,
  type TemplateRecord,
  type UsedSyncRecord,
} from './state.js'
import { collect, reverse, type CollectInput, type CollectResult } from './super-app/collect.js'
import type { SuperAppContext } from './super-app/context.js'
import { releaseTemplate } from './super-app/release.js'
import { isAbortError, Scheduler } from './timers.js'

/** A copy of everything the sandbox holds; changing it changes nothing. */
export interface SandboxSnapshot {
  url: string | null
  isvBaseUrl: string | null
  clientId: string
  outage: boolean
  faults: FaultView[]
  review: { default: ReviewSetting; templates: ReviewSetting[] }
  templates: TemplateRecord[]
  syncs: SyncRecord[]
  issues: IssueRecord[]
  instances: InstanceRecord[]
  /** userId → the ids of the instances in the user's wallet, in issue order. */
  wallets: Record<string, string[]>
  usedSyncs: UsedSyncRecord[]
  /** How many call records are kept (see `calls()`). */
  callCount: number
}

export interface FaultSettings {
  faults: FaultView[]
  outage: boolean
  review: { default: ReviewSetting; templates: ReviewSetting[] }
}

export interface InquiryResult extends OutboundAttempt {
  benefitIssueRequestId: string
  benefitDetails: ExternalBenefitDetail[]
}

export interface ReversalResult {
  benefitIssueRequestId: string
  /** REVERSED on S; UNKNOWN when the ISV refused (F) or never answered clearly (U). */
  outcome: Extract<CollectOutcome, 'REVERSED' | 'UNKNOWN'>
  code: string
  message: string
  attempts: OutboundAttempt[]
}

export interface WaitOptions {
  /** Default 5000 ms. */
  timeoutMs?: number
}

export class Sandbox {
  readonly #options: ResolvedOptions
  #isvBaseUrl: string | undefined
  readonly #state = new SandboxState()
  readonly #calls: CallLog
  readonly #events = new EventHub()
  readonly #faults: FaultBoard
  readonly #scheduler = new Scheduler()
  readonly #isv: IsvClient
  readonly #notifier: Notifier
  readonly #platform: PlatformContext
  readonly #superApp: SuperAppContext
  #server: Server | undefined
  #url: string | undefined

  constructor(options: SandboxOptions) {
    this.#options = resolveOptions(options)
    this.#isvBaseUrl = this.#options.isvBaseUrl
    this.#calls = new CallLog(this.#options.maxCallRecords)
    this.#faults = new FaultBoard(this.#options.reviewOutcome, this.#options.random)
    if (this.#options.onEvent) this.#events.subscribe(this.#options.onEvent)
    const onError = (error: unknown): void => this.#reportError(error)

    this.#isv = new IsvClient({
      options: this.#options,
      isvBaseUrl: () => this.#isvBaseUrl,
      faults: this.#faults,
      calls: this.#calls,
      events: this.#events,
      scheduler: this.#scheduler,
    })
    this.#notifier = new Notifier({
      options: this.#options,
      state: this.#state,
      events: this.#events,
      scheduler: this.#scheduler,
      isv: this.#isv,
      onError,
    })
    const reviewDeps: ReviewDeps = {
      options: this.#options,
      state: this.#state,
      faults: this.#faults,
      events: this.#events,
      scheduler: this.#scheduler,
      notify: this.#notifier,
      release: (templateId) => {
        releaseTemplate(this.#state, this.#events, templateId)
      },
      onError,
    }
    this.#platform = {
      options: this.#options,
      state: this.#state,
      faults: this.#faults,
      events: this.#events,
      scheduleReview: (id) => scheduleReview(reviewDeps, id),
    }
    this.#superApp = {
      options: this.#options,
      state: this.#state,
      events: this.#events,
      scheduler: this.#scheduler,
      isv: this.#isv,
    }
  }

  /* ------------------------------------------------------------ lifecycle */

  /** Listens on host:port; the platform's base URL (and the control API under /sandbox/) is `url`. */
  async start(): Promise<{ url: string }> {
    if (this.#server) return { url: this.#url! }
    this.#scheduler.resume()
    const app = createApp({
      platform: platformApi({ platform: this.#platform, calls: this.#calls, scheduler: this.#scheduler }),
      control: controlApi(this),
      key: this.#options.signingKey,
      clientId: this.#options.clientId,
      onError: (error) => this.#reportError(error),
    })
    const { server, url } = await listen(app, this.#options.host, this.#options.port)
    this.#server = server
    this.#url = url
    return { url }
  }

  /** Cancels reviews, notify retries and running collects, then closes every connection. */
  async stop(): Promise<void> {
    this.#scheduler.stop()
    const server = this.#server
    this.#server = undefined
    if (server) await closeServer(server)
  }

  /** The platform's base URL, e.g. `http://127.0.0.1:41234`. Throws before `start()`. */
  get url(): string {
    if (this.#url === undefined) throw new SandboxError('NOT_STARTED', 'the sandbox is not started; await start() first', 409)
    return this.#url
  }

  get isvBaseUrl(): string | undefined {
    return this.#isvBaseUrl
  }

  /** Where the connector answers (when it was not known at construction, e.g. both on port 0). */
  setIsvBaseUrl(url: string): void {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new SandboxError('INVALID_URL', `isvBaseUrl must be an http(s) URL, got ${JSON.stringify(url).slice(0, 80)}`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new SandboxError('INVALID_URL', 'isvBaseUrl must be http or https')
    this.#isvBaseUrl = normalizeBaseUrl(url)
  }

  /** The Client-Id the sandbox expects and sends. */
  get clientId(): string {
    return this.#options.clientId
  }

  /** The platform's public key as bare base64 SPKI, for the connector's configuration. */
  get platformPublicKey(): string {
    return this.#options.signingKey.privateKey.publicKey().toBase64()
  }

  /** Platform API paths the connector calls, relative to `url`. */
  static readonly platformPaths = {
    syncBenefit: benefitApis.syncBenefit.path,
    inquireBenefitSync: benefitApis.inquireBenefitSync.path,
    syncUsedBenefit: benefitApis.syncUsedBenefit.path,
  } as const

  /* ------------------------------------------------------------ watching */

  /** A copy of everything seen: templates and their review, syncs, collections, wallets, used-benefit syncs, faults. */
  get state(): SandboxSnapshot {
    const s = this.#state
    const faults = this.faultSettings()
    return structuredClone({
      url: this.#url ?? null,
      isvBaseUrl: this.#isvBaseUrl ?? null,
      clientId: this.#options.clientId,
      outage: faults.outage,
      faults: faults.faults,
      review: faults.review,
      templates: [...s.templates.values()],
      syncs: [...s.syncs.values()],
      issues: [...s.issues.values()],
      instances: [...s.instances.values()],
      wallets: Object.fromEntries(s.wallets),
      usedSyncs: [...s.usedSyncs.values()],
      callCount: this.#calls.size,
    })
  }

  /** Every call in either direction, oldest first; filter by api, direction, id or `afterSeq`. */
  calls(filter: CallFilter = {}): CallRecord[] {
    return this.#calls.list(filter)
  }

  /** Node EventEmitter with one event name, `event`, carrying a SandboxEvent. */
  get events(): EventEmitter<{ event: [SandboxEvent] }> {
    return this.#events.emitter
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(listener: SandboxEventListener): () => void {
    return this.#events.subscribe(listener)
  }

  /**
   * Resolves with the first event that `match` accepts, from now on.
   * Rejects after `timeoutMs` naming what it waited for.
   */
  waitForEvent<T extends SandboxEvent = SandboxEvent>(match: (event: SandboxEvent) => event is T, options?: WaitOptions): Promise<T>
  waitForEvent(match: (event: SandboxEvent) => boolean, options?: WaitOptions): Promise<SandboxEvent>
  waitForEvent(match: (event: SandboxEvent) => boolean, { timeoutMs = 5000 }: WaitOptions = {}): Promise<SandboxEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off()
        reject(new Error(`no matching sandbox event within ${timeoutMs} ms`))
      }, timeoutMs)
      const off = this.#events.subscribe((event) => {
        if (!match(event)) return
        clearTimeout(timer)
        off()
        resolve(event)
      })
    })
  }

  /**
   * Resolves with `check(state)` as soon as it returns something other than
   * undefined / false / null: checked now, then after every event.
   */
  waitFor<T>(check: (state: SandboxSnapshot) => T | undefined | false | null, { timeoutMs = 5000 }: WaitOptions = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      const probe = (): boolean => {
        const value = check(this.state)
        if (value === undefined || value === false || value === null) return false
        clearTimeout(timer)
        off()
        resolve(value)
        return true
      }
      const timer = setTimeout(() => {
        off()
        reject(new Error(`sandbox state did not reach the expected condition within ${timeoutMs} ms`))
      }, timeoutMs)
      const off = this.#events.subscribe(() => {
        try {
          probe()
        } catch (error) {
          clearTimeout(timer)
          off()
          reject(error)
        }
      })
      try {
        probe()
      } catch (error) {
        clearTimeout(timer)
        off()
        reject(error)
      }
    })
  }

  /* ------------------------------------------------------------ super app */

  /** The operator releases an approved template; users can collect it from then on. */
  release(templateId: string): TemplateRecord {
    return releaseTemplate(this.#state, this.#events, templateId)
  }

  /** A user collects: issueBenefit with retries, then inquiry, then reversal (seed Flow 2). Never throws for an ISV failure. */
  collect(input: CollectInput): Promise<CollectResult> {
    return collect(this.#superApp, input)
  }

  /** One inquireBenefitIssue call (the platform may ask any time); changes no state. */
  async inquireIssue(benefitIssueRequestId: string): Promise<InquiryResult> {
    const answer = await this.#isv.call('inquireBenefitIssue', JSON.stringify({ benefitIssueRequestId }), { id: benefitIssueRequestId, attempt: 1 })
    const { body, ...attempt } = answer
    const details = body?.benefitDetails
    return { ...attempt, benefitIssueRequestId, benefitDetails: Array.isArray(details) ? (details as ExternalBenefitDetail[]) : [] }
  }

  /** Reverses an issuing this sandbox collected (with retries); its instances become REVERSED on S. */
  async reverseIssue(benefitIssueRequestId: string): Promise<ReversalResult> {
    const record = this.#state.issues.get(benefitIssueRequestId)
    if (!record) throw new SandboxError('ISSUE_NOT_FOUND', `no collect with benefitIssueRequestId ${benefitIssueRequestId}`, 404)
    if (record.state === 'RUNNING') throw new SandboxError('ISSUE_IN_PROGRESS', `collect ${benefitIssueRequestId} is still running`, 409)
    const before = record.attempts.length
    record.state = 'RUNNING'
    try {
      const { outcome, step } = await reverse(this.#superApp, record)
      if (outcome === 'REVERSED') {
        record.outcome = 'REVERSED'
        record.code = step.code
        record.message = 'reversed'
      }
      return {
        benefitIssueRequestId,
        outcome: outcome === 'REVERSED' ? 'REVERSED' : 'UNKNOWN',
        code: step.code,
        message: step.message,
        attempts: record.attempts.slice(before).map((a) => ({ ...a })),
      }
    } finally {
      record.state = 'DONE'
    }
  }

  /* ------------------------------------------------------------ faults */

  /** Validates a fault without adding it (throws SandboxError INVALID_FAULT naming the field). */
  checkFault(spec: unknown): FaultSpec {
    return parseFaultSpec(spec)
  }

  /** Adds a fault; returns it with its id (for removeFault) and how many calls it will hit. */
  injectFault(spec: FaultSpec): FaultView {
    return this.#faults.add(spec)
  }

  removeFault(id: string): boolean {
    return this.#faults.remove(id)
  }

  /** Removes every fault, ends an outage, and resets review outcomes to the configured default. */
  clearFaults(): void {
    const hadOutage = this.#faults.outage
    this.#faults.clear()
    if (hadOutage) this.#events.emit({ type: 'outage', on: false })
  }

  get outage(): boolean {
    return this.#faults.outage
  }

  /** While on, every platform API answers HTTP 503 (unsigned, as a load balancer would). */
  setOutage(on: boolean): void {
    if (this.#faults.outage === on) return
    this.#faults.outage = on
    this.#events.emit({ type: 'outage', on })
  }

  /** How reviews end: for one template, or (without templateId) for all without their own setting. */
  setReviewOutcome(setting: ReviewSetting): void {
    this.#faults.setReview(setting)
  }

  faultSettings(): FaultSettings {
    return { faults: this.#faults.list(), outage: this.#faults.outage, review: this.#faults.reviewSettings() }
  }

  /** Forgets everything seen and clears faults; pending reviews and notify retries are cancelled. Keeps listening. */
  reset(): void {
    this.#scheduler.stop()
    this.#scheduler.resume()
    this.#state.clear()
    this.#calls.clear()
    this.clearFaults()
  }

  #reportError(error: unknown): void {
    // Work cut short by stop() or reset() is not a failure worth announcing.
    if (isAbortError(error)) return
    this.#events.emit({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  }
}

export function createSandbox(options: SandboxOptions): Sandbox {
  return new Sandbox(options)
}
