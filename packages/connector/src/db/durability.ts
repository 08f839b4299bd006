import { closeSync, fdatasync, openSync } from 'node:fs'

/**
 * "Nothing acknowledged is lost", without fsync on the event loop.
 *
 * With `synchronous=FULL`, SQLite fsyncs the WAL inside every COMMIT, and
 * better-sqlite3 is synchronous: the whole process stops for the fsync (1–3 ms
 * on a VM disk), so under load the event loop spends much of its time blocked
 * instead of reading the next requests. The connector's own connection
 * therefore runs `synchronous=NORMAL` (a COMMIT only writes the WAL; that
 * already survives kill -9) and makes commits durable itself: an fdatasync of
 * the WAL file in libuv's thread pool, while the event loop goes on with the
 * next batch. SQLite's WAL mode with FULL does exactly this sync, only inline.
 *
 * The rule that keeps it as safe as FULL: nothing that may have seen a commit
 * leaves the process before a WAL sync that started after that commit has
 * finished. `settled()` is that wait. Every HTTP answer passes it (app.ts) and
 * every outbox delivery passes it before calling the platform (outbox/worker.ts),
 * so an answer or a call can never rest on a commit that power loss could undo.
 * Commits are counted by the statement wrapper (statement-cache.ts) whenever a
 * write statement ran and the connection is no longer in a transaction.
 *
 * Each sync covers every commit made before it started, and releases every
 * waiter it covers at once (a group sync); up to two run at a time, so a new
 * commit does not wait for a sync already under way to finish first.
 *
 * If a sync fails the WAL's state on disk is unknown (the kernel may have
 * dropped the dirty pages: PostgreSQL's "fsyncgate"), so nothing is ever
 * acknowledged again: every later `settled()` rejects and /readyz reports it.
 * The operator restarts the connector, and SQLite recovers from what is on disk.
 */
export interface Durability {
  /** A write committed (the wrapper calls this). */
  committed(): void
  /** A bookmark: `settled(mark())` waits for what was committed up to now, and nothing later. */
  mark(): number
  /** Resolves once everything committed so far (or up to `upTo`, a mark) is on disk. Immediate when nothing is pending. */
  settled(upTo?: number): Promise<void>
  /** The sync failure that stopped acknowledgements, if any. */
  readonly failure: Error | undefined
  /** Waits for pending syncs and closes the WAL file handle. */
  close(): Promise<void>
}

/** For `synchronous=NORMAL` by choice, and for in-memory databases: nothing to wait for. */
export const NOT_SYNCED: Durability = Object.freeze({
  committed() {},
  mark: () => 0,
  settled: () => Promise.resolve(),
  failure: undefined,
  close: () => Promise.resolve(),
})

interface Waiter {
  upTo: number
  resolve(): void
  reject(error: Error): void
}

/** Syncs in flight at once: a commit waits for the next sync to start, not for the one running to end. */
const MAX_SYNCS_IN_FLIGHT = 2

export class WalSync implements Durability {
  readonly #walFile: string
  #fd: number | undefined
  /** Commits counted so far; the newest a waiter needs; the newest covered by a started sync; the newest known to be on disk. */
  #committed = 0
  #wanted = 0
  #covered = 0
  #synced = 0
  readonly #inFlight = new Set<Promise<void>>()
  #waiters: Waiter[] = []
  #failure: Error | undefined

  /** `databaseFile` must already be in WAL mode (its -wal file exists once the database was written). */
  constructor(databaseFile: string) {
    this.#walFile = `${databaseFile}-wal`
  }

  get failure(): Error | undefined {
    return this.#failure
  }

  committed(): void {
    this.#committed++
  }

  mark(): number {
    return this.#committed
  }

  settled(upTo = this.#committed): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure)
    if (this.#synced >= upTo) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ upTo, resolve, reject })
      this.#wanted = Math.max(this.#wanted, upTo)
      this.#startSyncs()
    })
  }

  async close(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }

  /**
   * A sync covers every commit made before it starts. One starts whenever a
   * waiter needs commits no started sync covers and fewer than
   * MAX_SYNCS_IN_FLIGHT run; syncs may end in any order, each settling what it covers.
   */
  #startSyncs(): void {
    while (!this.#failure && this.#inFlight.size < MAX_SYNCS_IN_FLIGHT && this.#wanted > this.#covered) {
      const upTo = this.#committed
      this.#covered = upTo
      const sync: Promise<void> = this.#sync().then(
        () => {
          this.#inFlight.delete(sync)
          this.#synced = Math.max(this.#synced, upTo)
          const waiting = this.#waiters
          this.#waiters = []
          for (const waiter of waiting) {
            if (waiter.upTo <= this.#synced) waiter.resolve()
            else this.#waiters.push(waiter)
          }
          this.#startSyncs()
        },
        (error: Error) => {
          this.#inFlight.delete(sync)
          this.#failure ??= new Error(`fdatasync of ${this.#walFile} failed; nothing more is acknowledged until a restart: ${error.message}`)
          for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure)
        },
      )
      this.#inFlight.add(sync)
    }
  }

  #sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        // Opened on first use: the -wal file exists once anything was written. The
        // same inode stays in use while our connection is open (SQLite rewinds it, never replaces it).
        this.#fd ??= openSync(this.#walFile, 'r+')
      } catch (error) {
        reject(error as Error)
        return
      }
      fdatasync(this.#fd, (error) => (error ? reject(error) : resolve()))
    })
  }
}
