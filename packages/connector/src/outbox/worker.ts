import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { hostname } from 'node:os'
import type { PlatformApiName } from '@benefitkit/shared'
import type { ConnectorContext } from '../context.js'
import type { PlatformClient } from '../platform-client/client.js'
import { platformClientFor } from '../platform-client/from-context.js'
import type { PlatformOutcome } from '../platform-client/outcome.js'
import { SyncReconciler, type SyncReconcilerOptions } from '../reconciler/reconciler.js'
import { claimDueRows, type ClaimedRow } from './claim.js'
import { DEFAULT_QUICK_RETRIES, deliverOnce, type QuickRetryOptions } from './deliver.js'
import { nextDueAt } from './next-due.js'
import { OutcomeBatcher } from './outcome-batch.js'
import type { Verdict } from './record-outcome.js'
import { releaseLeases } from './release.js'
import { requeueExpiredLeases } from './requeue-expired.js'
import { resolveSchedule, type RetrySchedule } from './schedule.js'

export interface OutboxWorkerOptions {
  /** Deliveries at the same time. Default: config.outboxConcurrency. */
  concurrency?: number
  /** The long schedule kept in each row. Default: DEFAULT_RETRY_SCHEDULE. */
  schedule?: Partial<RetrySchedule>
  /** Quick retries inside one delivery. Default: 2 retries, 100–500 ms apart. */
  quickRetries?: Partial<QuickRetryOptions>
  /**
   * How long a claimed row stays ours. Must outlast one delivery (all its
   * quick tries); a crashed worker's rows come back after it. Default: derived
   * from config.platformTimeoutMs and the quick retries, plus 10 s.
   */
  leaseMs?: number
  /** The longest the worker sleeps without a wake-up (rows committed by other processes, lapsed leases). Default 1000. */
  pollIntervalMs?: number
  /** How long stop() lets in-flight deliveries finish before abandoning them. Default 5000. */
  stopTimeoutMs?: number
  /** Lease owner name. Default: host:pid:random. */
  owner?: string
  /** The platform client. Default: one built from the context (keep-alive; closed by stop()). */
  client?: PlatformClient
  /** The inquireBenefitSync reconciler's options, or false for none. */
  reconciler?: Partial<SyncReconcilerOptions> | false
  /** [0, 1) source for the schedule's jitter (tests). */
  random?: () => number
}

export interface ResolvedOutboxWorkerOptions {
  readonly concurrency: number
  readonly schedule: RetrySchedule
  readonly quickRetries: QuickRetryOptions
  readonly leaseMs: number
  readonly pollIntervalMs: number
  readonly stopTimeoutMs: number
  readonly owner: string
}

/** One finished delivery (for logs, metrics and tests). */
export interface DeliveryEvent {
  id: number
  api: PlatformApiName
  idempotencyId: string
  /** Deliveries of this row so far, this one included. */
  attempts: number
  /** HTTP tries inside this delivery. */
  tries: number
  outcome: PlatformOutcome
  verdict: Verdict
}

/**
 * Delivers outbox rows to the platform. Wake-ups: `wake()` after a commit
 * claims at once; otherwise a timer fires at the next due time (capped at
 * pollIntervalMs). At most `concurrency` deliveries run at once. `stop()`
 * stops retrying, lets in-flight deliveries finish (bounded), and hands back
 * the rows it did not finish so they are due at once on restart.
 */
export class OutboxWorker {
  readonly options: ResolvedOutboxWorkerOptions
  readonly client: PlatformClient
  readonly reconciler: SyncReconciler | undefined
  readonly #context: ConnectorContext
  readonly #ownsClient: boolean
  readonly #random: (() => number) | undefined
  readonly #active = new Map<number, Promise<void>>()
  readonly #listeners = new Set<(event: DeliveryEvent) => void>()
  readonly #outcomes: OutcomeBatcher
  #running = false
  #pumping: Promise<void> | undefined
  #again = false
  #timer: NodeJS.Timeout | undefined
  #timerAt = Infinity
  #lastSweep = -Infinity
  #stopRetrying = new AbortController()
  #abandon = new AbortController()

  constructor(context: ConnectorContext, options: OutboxWorkerOptions = {}) {
    this.#context = context
    const quickRetries = Object.freeze({ ...DEFAULT_QUICK_RETRIES, ...options.quickRetries })
    const concurrency = options.concurrency ?? context.config.outboxConcurrency
    if (!(concurrency >= 1)) throw new Error('outbox concurrency must be at least 1')
    // One delivery takes at most (retries + 1) timeouts plus the waits between tries
    // (randomize doubles them at worst); the lease must outlast it.
    const leaseMs =
      options.leaseMs ??
      context.config.platformTimeoutMs * (quickRetries.retries + 1) + 2 * quickRetries.maxTimeoutMs * quickRetries.retries + 10_000
    this.options = Object.freeze({
      concurrency,
      schedule: resolveSchedule(options.schedule),
      quickRetries,
      leaseMs,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
      owner: options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    })
    this.#ownsClient = options.client === undefined
    this.client = options.client ?? platformClientFor(context, concurrency * 2)
    this.#random = options.random
    let claimMark = 0
    this.#outcomes = new OutcomeBatcher(context.db, {
      // The deliveries being written free their slots: refill them in the same commit.
      claimNext: (trx, freed) => {
        if (!this.#running) return Promise.resolve([])
        // Inside the transaction, before the claim reads: every row it can see was committed by now.
        claimMark = this.#context.durability.mark()
        const free = this.options.concurrency - this.#active.size + freed
        return claimDueRows(trx, { owner: this.options.owner, leaseMs: this.options.leaseMs, limit: free, now: this.#context.now() })
      },
      onClaimed: (rows) => {
        // Claimed while stopping: left in flight, stop() hands them back.
        if (this.#running) for (const row of rows) this.#startDelivery(row, claimMark)
      },
    })
    this.reconciler = options.reconciler === false ? undefined : new SyncReconciler(context, this.client, options.reconciler)
  }

  get running(): boolean {
    return this.#running
  }

  /** Deliveries in flight now. */
  get inFlight(): number {
    return this.#active.size
  }

  /** Subscribe to every finished delivery. Returns the unsubscribe. */
  onDelivery(listener: (event: DeliveryEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#stopRetrying = new AbortController()
    this.#abandon = new AbortController()
    // Every delivery in flight listens on these two signals.
    setMaxListeners(0, this.#stopRetrying.signal, this.#abandon.signal)
    this.#lastSweep = -Infinity
    this.reconciler?.start()
    this.wake()
  }

  /** A row was committed (or a slot freed): claim now. Cheap to call often. */
  wake(): void {
    if (!this.#running) return
    if (this.#pumping) {
      this.#again = true
      return
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined
      // A wake-up that landed after the pump's last look must not be lost.
      if (this.#again) this.wake()
    })
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    clearTimeout(this.#timer)
    this.#timerAt = Infinity
    await this.reconciler?.stop()
    this.#stopRetrying.abort(new Error('outbox worker stopping'))
    await this.#pumping
    // Wait for every delivery, including ones whose outcome is being written
    // right now; past the deadline, abandon the calls still waiting for an answer.
    const deadline = performance.now() + this.options.stopTimeoutMs
    while (this.#active.size) {
      const remaining = deadline - performance.now()
      if (remaining <= 0 && !this.#abandon.signal.aborted) {
        this.#context.logger.warn({ inFlight: this.#active.size }, 'outbox stop deadline passed: abandoning deliveries in flight')
        this.#abandon.abort(new Error('outbox worker stop deadline'))
      }
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.allSettled([...this.#active.values()]),
        ...(remaining > 0 ? [new Promise((resolve) => (timer = setTimeout(resolve, remaining)))] : []),
      ])
      clearTimeout(timer)
    }
    const released = await releaseLeases(this.#context.db, this.options.owner, this.#context.now())
    if (released) this.#context.logger.info({ released }, 'outbox rows handed back for the next start')
    if (this.#ownsClient) this.client.close()
  }

  async #pump(): Promise<void> {
    const { db, logger } = this.#context
    const { concurrency, leaseMs, owner, pollIntervalMs } = this.options
    try {
      let claimedAll = false
      do {
        this.#again = false
        const now = this.#context.now()
        const free = concurrency - this.#active.size
        if (free <= 0 || !this.#running) return
        const committedBefore = this.#context.durability.mark()
        const rows = await claimDueRows(db, { owner, leaseMs, limit: free, now })
        for (const row of rows) this.#startDelivery(row, committedBefore)
        claimedAll = rows.length === free
        // After the claim, so a wake-up's first attempt never waits for it.
        if (now - this.#lastSweep >= pollIntervalMs) {
          this.#lastSweep = now
          const requeued = await requeueExpiredLeases(db, now)
          if (requeued) {
            logger.warn({ requeued }, 'outbox rows came back after their lease lapsed')
            this.#again = true
          }
        }
        // Everything due is taken and slots are left: sleep until the next due time.
        if (!claimedAll && !this.#again) await this.#armTimer(now)
      } while (this.#again && this.#running)
      if (claimedAll) this.#armFallbackTimer()
    } catch (error) {
      logger.error({ err: error }, 'outbox pump failed; trying again shortly')
      this.#armFallbackTimer()
    }
  }

  /** `committedBefore`: a durability mark taken before the claim read the row (see #deliver). */
  #startDelivery(row: ClaimedRow, committedBefore: number): void {
    const delivery = this.#deliver(row, committedBefore)
      .catch((error: unknown) => {
        // The row stays in flight and comes back when its lease lapses.
        this.#context.logger.error({ err: error, id: row.id }, 'outbox delivery failed to record its outcome')
      })
      .finally(() => {
        this.#active.delete(row.id)
        this.wake()
      })
    this.#active.set(row.id, delivery)
  }

  async #deliver(row: ClaimedRow, committedBefore: number): Promise<void> {
    const api = row.api as PlatformApiName
    // Never tell the platform about a change that is not on disk yet (db/durability.ts): wait
    // for the commits up to the claim, which include the row's own. The claim (a lease) need
    // not be durable: lost in a crash, the row is simply delivered again, idempotently.
    await this.#context.durability.settled(committedBefore)
    const result = await deliverOnce(
      { api, body: row.body, quick: this.options.quickRetries, stopRetrying: this.#stopRetrying.signal, abandon: this.#abandon.signal },
      this.client,
    )
    // Cut short by shutdown: stop() hands the row back, due at once.
    if (result.interrupted || !result.outcome) return
    const verdict = await this.#outcomes.record({
      row,
      outcome: result.outcome,
      owner: this.options.owner,
      schedule: this.options.schedule,
      now: this.#context.now(),
      ...(this.#random ? { random: this.#random } : {}),
    })
    this.#log(row, result.outcome, verdict)
    const event: DeliveryEvent = {
      id: row.id,
      api,
      idempotencyId: row.idempotency_id,
      attempts: row.attempts,
      tries: result.tries,
      outcome: result.outcome,
      verdict,
    }
    for (const listener of this.#listeners) listener(event)
  }

  #log(row: ClaimedRow, outcome: PlatformOutcome, verdict: Verdict): void {
    const fields = { id: row.id, api: row.api, idempotencyId: row.idempotency_id, attempts: row.attempts, code: outcome.code }
    const { logger } = this.#context
    if (verdict.kind === 'delivered') logger.debug(fields, 'outbox row delivered')
    else if (verdict.kind === 'retry') logger.info({ ...fields, message: outcome.message, nextAttemptAt: verdict.at }, 'outbox delivery unknown; will retry')
    else if (verdict.kind === 'dead') logger.warn({ ...fields, message: outcome.message, reason: verdict.reason }, 'outbox row dead')
    else logger.warn(fields, 'outbox row taken over by another worker (lease lapsed)')
  }

  /** Sleeps until the next future retry or lease lapse, never longer than pollIntervalMs. */
  async #armTimer(now: number): Promise<void> {
    const next = await nextDueAt(this.#context.db, now)
    const delay = Math.max(0, Math.min((next ?? Infinity) - now, this.options.pollIntervalMs))
    this.#setTimer(delay)
  }

  /** While every slot is busy, completions wake the worker; this only covers the sweep. */
  #armFallbackTimer(): void {
    this.#setTimer(this.options.pollIntervalMs)
  }

  #setTimer(delay: number): void {
    if (!this.#running) return
    const at = performance.now() + delay
    // Keep an earlier timer: it will re-arm after it fires.
    if (this.#timer && at >= this.#timerAt) return
    clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#timerAt = Infinity
      this.wake()
    }, delay)
    this.#timer.unref()
  }
}
