import { CompiledQuery, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'

/** A unit of work: reads and writes only through `trx`. */
export type TransactionWork<T> = (trx: Transaction<Database>) => Promise<T>
type Unit<T> = TransactionWork<T>

/** Runs a work in a transaction; `GroupCommit.run` and {@link plainTransactions} both fit. */
export type TransactionRunner = <T>(work: TransactionWork<T>) => Promise<T>

/** One transaction per work, for tools and tests that want no batching. */
export function plainTransactions(db: Kysely<Database>): TransactionRunner {
  return (work) => db.transaction().execute(work)
}

interface Pending {
  unit: Unit<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

const SAVEPOINT = CompiledQuery.raw('savepoint group_unit')
const RELEASE = CompiledQuery.raw('release savepoint group_unit')
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint group_unit')

/**
 * Group commit, shared by every write path of the connector (issueBenefit,
 * reverse, redemptions): units of work that arrive in the same event-loop turn, or
 * while a transaction is running, are run together in one transaction, each
 * inside its own savepoint, and all of them are answered after that one COMMIT. A commit is the expensive part of a
 * write (writing and syncing the WAL), so under load one commit carries many
 * redeems; alone, a unit still gets its own transaction at once.
 *
 * Each unit stays atomic (a unit that throws is rolled back to its savepoint
 * and only its caller sees the error) and isolated (units run one after the
 * other, each seeing the ones before). Nothing is answered before the commit
 * that makes it durable; if the commit fails, every unit of the batch fails.
 * Savepoints are standard SQL, so the same code runs on PostgreSQL.
 */
export class GroupCommit {
  readonly #db: Kysely<Database>
  readonly #maxBatch: number
  #queue: Pending[] = []
  #running = false

  constructor(db: Kysely<Database>, maxBatch = 64) {
    this.#db = db
    this.#maxBatch = maxBatch
  }

  /** Bound, so `const { run } = commits` works. */
  readonly run: TransactionRunner = <T>(unit: Unit<T>): Promise<T> => {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ unit, resolve: resolve as (value: unknown) => void, reject })
      if (!this.#running) {
        this.#running = true
        // Start after this turn's I/O callbacks: requests read in the same turn join the batch.
        setImmediate(() => void this.#drain())
      }
    })
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch)
        await this.#commit(batch)
      }
    } finally {
      this.#running = false
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = []
    try {
      await this.#db.transaction().execute(async (trx) => {
        if (batch.length === 1) {
          // Alone: no savepoint needed, the transaction is the unit.
          try {
            outcomes.push({ ok: true, value: await batch[0]!.unit(trx) })
          } catch (error) {
            outcomes.push({ ok: false, error })
            throw error
          }
          return
        }
        for (const pending of batch) {
          await trx.executeQuery(SAVEPOINT)
          try {
            outcomes.push({ ok: true, value: await pending.unit(trx) })
            await trx.executeQuery(RELEASE)
          } catch (error) {
            outcomes.push({ ok: false, error })
            // If even this fails the transaction is unusable: the whole batch fails below.
            await trx.executeQuery(ROLLBACK_TO)
            await trx.executeQuery(RELEASE)
          }
        }
      })
    } catch (error) {
      if (batch.length === 1 && outcomes.length === 1 && !outcomes[0]!.ok) {
        batch[0]!.reject(outcomes[0]!.error)
        return
      }
      for (const pending of batch) pending.reject(error)
      return
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!
      if (outcome.ok) pending.resolve(outcome.value)
      else pending.reject(outcome.error)
    })
  }
}
