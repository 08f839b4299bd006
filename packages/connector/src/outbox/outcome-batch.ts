import type { Db } from '../db/open.js'
import type { ClaimedRow } from './claim.js'
import { applyOutcome, type RecordInput, type Verdict } from './record-outcome.js'

interface Pending {
  input: RecordInput
  resolve(verdict: Verdict): void
  reject(error: unknown): void
}

export interface OutcomeBatcherOptions {
  /** Most outcomes per transaction. Default 256. */
  maxBatch?: number
  /**
   * Runs inside the batch's transaction after its outcomes: the worker claims
   * the rows that take the freed slots here, so finishing N deliveries and
   * starting the next N costs one commit, not two.
   */
  claimNext?: (trx: Db, freed: number) => Promise<ClaimedRow[]>
  /** Receives what `claimNext` claimed, right after the commit and before any caller hears its verdict. */
  onClaimed?: (rows: ClaimedRow[]) => void
}

/**
 * Writes the outcomes of deliveries that finish close together in one
 * transaction. With `synchronous = FULL` every commit is an fsync: one commit
 * per outcome, plus one per claim, capped the drain at the disk's fsync rate
 * (~110 rows/s measured); one per batch does not. The batch grows by itself
 * with the cost of a commit: answers that arrive while one is written join the
 * next. Each caller still waits until its own outcome is committed, so nothing
 * counts as done before it is durable — and a batch lost to a crash only means
 * those rows are delivered again (same id, same body), which the platform
 * answers idempotently.
 */
export class OutcomeBatcher {
  readonly #db: Db
  readonly #options: OutcomeBatcherOptions
  #queue: Pending[] = []
  #scheduled = false
  #flushing: Promise<void> | undefined

  constructor(db: Db, options: OutcomeBatcherOptions = {}) {
    this.#db = db
    this.#options = options
  }

  record(input: RecordInput): Promise<Verdict> {
    return new Promise<Verdict>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return
    this.#scheduled = true
    // Let the other answers that arrived in this turn of the event loop join the batch.
    setImmediate(() => {
      this.#scheduled = false
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined
        if (this.#queue.length) this.#schedule()
      })
    })
  }

  async #flush(): Promise<void> {
    const batch = this.#queue.splice(0, this.#options.maxBatch ?? 256)
    if (batch.length === 0) return
    const { claimNext, onClaimed } = this.#options
    let verdicts: Verdict[]
    let claimed: ClaimedRow[] = []
    try {
      verdicts = await this.#db.transaction().execute(async (trx) => {
        const out: Verdict[] = []
        for (const item of batch) out.push(await applyOutcome(trx, item.input))
        if (claimNext) claimed = await claimNext(trx, batch.length)
        return out
      })
    } catch (error) {
      // Nothing was written: the rows stay in flight and come back when their lease lapses.
      for (const item of batch) item.reject(error)
      return
    }
    if (claimed.length) onClaimed?.(claimed)
    batch.forEach((item, i) => item.resolve(verdicts[i]!))
  }
}
