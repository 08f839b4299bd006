import type { Transaction } from 'kysely'
import type { Db } from '../db/open.js'
import type { Database } from '../db/schema.js'

/**
 * Group commit for the issuing hot path. Every issueBenefit is one transaction;
 * what a transaction costs beyond its statements — BEGIN, COMMIT and the WAL
 * write (an fsync with synchronous=FULL) — is the same for one issue or fifty.
 * So works that arrive while a transaction runs wait for it and then share the
 * next one. An idle connector starts a lone work at once: no added latency.
 *
 * All or nothing stays per work: if any work in a batch throws (or the commit
 * fails), the whole batch rolls back and each work runs again in a transaction
 * of its own, so only the failing one fails. A work must therefore be safe to
 * run again from the start — issueIn is: it reads and writes only through `trx`.
 * Nobody learns a result before the transaction holding it has committed.
 */

export type TransactionWork<T> = (trx: Transaction<Database>) => Promise<T>

interface Pending {
  work: TransactionWork<unknown>
  resolve(value: unknown): void
  reject(error: unknown): void
}

/** Runs a work in a transaction; GroupCommit.run and a plain `db.transaction()` both fit. */
export type TransactionRunner = <T>(work: TransactionWork<T>) => Promise<T>

export function plainTransactions(db: Db): TransactionRunner {
  return (work) => db.transaction().execute(work)
}

export class GroupCommit {
  readonly #db: Db
  readonly #maxBatch: number
  #queue: Pending[] = []
  #scheduled = false
  #running = false

  /** `maxBatch` bounds how long one transaction holds the connection (others — redemption, outbox — wait for it). */
  constructor(db: Db, { maxBatch = 64 }: { maxBatch?: number } = {}) {
    this.#db = db
    this.#maxBatch = maxBatch
  }

  readonly run: TransactionRunner = <T>(work: TransactionWork<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      this.#schedule()
    })

  /**
   * better-sqlite3 is synchronous: while a transaction runs, no socket is read.
   * Waiting one turn of the event loop (setImmediate runs after the poll phase)
   * lets every request already received reach the queue, so they share the
   * next transaction instead of each running alone.
   */
  #schedule(): void {
    if (this.#scheduled || this.#running) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      void this.#commitBatch()
    })
  }

  async #commitBatch(): Promise<void> {
    this.#running = true
    const batch = this.#queue.splice(0, this.#maxBatch)
    try {
      if (batch.length === 1) return await this.#alone(batch[0]!)
      let results: unknown[]
      try {
        results = await this.#db.transaction().execute(async (trx) => {
          const out: unknown[] = []
          for (const item of batch) out.push(await item.work(trx))
          return out
        })
      } catch {
        // Nothing of the batch committed: give each work its own transaction.
        for (const item of batch) await this.#alone(item)
        return
      }
      batch.forEach((item, i) => item.resolve(results[i]))
    } finally {
      this.#running = false
      if (this.#queue.length) this.#schedule()
    }
  }

  async #alone(item: Pending): Promise<void> {
    try {
      item.resolve(await this.#db.transaction().execute(item.work))
    } catch (error) {
      item.reject(error)
    }
  }
}
