import type { ConnectorContext } from '../context.js'
import type { InquireSyncResult } from '../platform-client/client.js'
import { applySyncOutcome, templatesAwaitingReview } from '../templates/sync-state.js'
import { DEFAULT_INQUIRY_SCHEDULE, inquiryBackoff, type InquirySchedule } from './schedule.js'

/** The part of the platform client the reconciler needs. */
export interface SyncInquirer {
  inquireBenefitSync(benefitSyncRequestId: string, options?: { signal?: AbortSignal }): Promise<InquireSyncResult>
}

export interface SyncReconcilerOptions extends InquirySchedule {
  /** How often it looks for SYNCING templates that are due. */
  readonly tickMs: number
  /** Templates looked at per tick (oldest first). */
  readonly batch: number
  /** Inquiries in flight at once. */
  readonly concurrency: number
}

export const DEFAULT_RECONCILER_OPTIONS: SyncReconcilerOptions = Object.freeze({
  ...DEFAULT_INQUIRY_SCHEDULE,
  tickMs: 1_000,
  batch: 100,
  concurrency: 4,
})

export type InquiryVerdict = 'applied' | 'ignored' | 'processing' | 'unsettled'

export interface InquiryEvent {
  syncRequestId: string
  templateId: string
  result: InquireSyncResult
  verdict: InquiryVerdict
}

interface Due {
  inquiries: number
  nextAt: number
}

/**
 * Settles templates left in SYNCING when no notifyBenefitSync arrives: asks
 * inquireBenefitSync and applies SUCCESS / FAIL through `applySyncOutcome`,
 * exactly as a notification would, so whichever of the two comes first wins
 * and the other is acknowledged and ignored.
 */
export class SyncReconciler {
  readonly options: SyncReconcilerOptions
  readonly #context: ConnectorContext
  readonly #inquirer: SyncInquirer
  readonly #due = new Map<string, Due>()
  readonly #listeners = new Set<(event: InquiryEvent) => void>()
  #timer: NodeJS.Timeout | undefined
  #running = false
  #tick: Promise<void> | undefined
  #abort = new AbortController()

  constructor(context: ConnectorContext, inquirer: SyncInquirer, options: Partial<SyncReconcilerOptions> = {}) {
    this.#context = context
    this.#inquirer = inquirer
    this.options = Object.freeze({ ...DEFAULT_RECONCILER_OPTIONS, ...options })
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#abort = new AbortController()
    this.#arm(0)
  }

  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    this.#abort.abort()
    await this.#tick
  }

  /** Subscribe to every inquiry's result (logs, metrics, tests). Returns the unsubscribe. */
  onInquiry(listener: (event: InquiryEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** One pass: inquires every SYNCING template that is due. Returns how many were asked. */
  async runOnce(): Promise<number> {
    const now = this.#context.now()
    const templates = await templatesAwaitingReview(this.#context.db, this.options.batch)
    const seen = new Set<string>()
    const due: Array<{ syncRequestId: string; templateId: string }> = []
    for (const t of templates) {
      seen.add(t.sync_request_id)
      let entry = this.#due.get(t.sync_request_id)
      if (!entry) {
        // updated_at is when the template became SYNCING (the accepted answer).
        entry = { inquiries: 0, nextAt: t.updated_at + this.options.firstDelayMs }
        this.#due.set(t.sync_request_id, entry)
      }
      if (entry.nextAt <= now) due.push({ syncRequestId: t.sync_request_id, templateId: t.id })
    }
    // Settled (by us or by a notification) or gone: forget them.
    for (const id of this.#due.keys()) if (!seen.has(id)) this.#due.delete(id)

    let next = 0
    const worker = async () => {
      while (!this.#abort.signal.aborted) {
        const item = due[next++]
        if (!item) return
        await this.#inquire(item.syncRequestId, item.templateId)
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, due.length) }, worker))
    return due.length
  }

  async #inquire(syncRequestId: string, templateId: string): Promise<void> {
    const { db, logger } = this.#context
    const result = await this.#inquirer.inquireBenefitSync(syncRequestId, { signal: this.#abort.signal })
    let verdict: InquiryVerdict = 'unsettled'
    if (result.outcome.status === 'S' && (result.syncStatus === 'SUCCESS' || result.syncStatus === 'FAIL')) {
      const applied = await applySyncOutcome(db, {
        syncRequestId,
        syncStatus: result.syncStatus,
        syncFailCode: result.syncFailCode,
        syncFailReason: result.syncFailReason,
        now: this.#context.now(),
      })
      verdict = applied.kind === 'applied' ? 'applied' : 'ignored'
      this.#due.delete(syncRequestId)
      logger.info({ syncRequestId, templateId, syncStatus: result.syncStatus, verdict }, 'sync settled by inquiry')
    } else {
      verdict = result.outcome.status === 'S' ? 'processing' : 'unsettled'
      const entry = this.#due.get(syncRequestId) ?? { inquiries: 0, nextAt: 0 }
      entry.inquiries++
      entry.nextAt = this.#context.now() + inquiryBackoff(this.options, entry.inquiries)
      this.#due.set(syncRequestId, entry)
      if (result.outcome.status !== 'S') {
        logger.warn({ syncRequestId, templateId, code: result.outcome.code, message: result.outcome.message }, 'sync inquiry unsettled')
      }
    }
    for (const listener of this.#listeners) listener({ syncRequestId, templateId, result, verdict })
  }

  #arm(delay: number): void {
    if (!this.#running) return
    this.#timer = setTimeout(() => {
      this.#tick = this.runOnce()
        .catch((error: unknown) => this.#context.logger.error({ err: error }, 'sync reconciler pass failed'))
        .then(() => {
          this.#tick = undefined
          this.#arm(this.options.tickMs)
        })
    }, delay)
    // The daemon's server keeps the process alive; the reconciler never should.
    this.#timer.unref()
  }
}
