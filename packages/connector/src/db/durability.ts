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
 * Syncs run one at a time; each covers every commit made before it started,
 * and all waiters it covers are released together (a group sync).
 *
 * If a sync fails the WAL's state on disk is unknown (the kernel may have
 * dropped the dirty pages: PostgreSQL's "fsyncgate"), so nothing is ever
 * acknowledged again: every later `settled()` rejects and /readyz reports it.
 * The operator restarts the connector, and SQLite recovers from what is on disk.
 */
export interface Durability {
  /** A write committed (the wrapper calls this). */
  committed(): void
  /** Resolves once everything committed so far is on disk. Immediate when nothing is pending. */
  settled(): Promise<void>
  /** The sync failure that stopped acknowledgements, if any. */
  readonly failure: Error | undefined
  /** Waits for pending syncs and closes the WAL file handle. */
  close(): Promise<void>
}

/** For `synchronous=NORMAL` by choice, and for in-memory databases: nothing to wait for. */
export const NOT_SYNCED: Durability = Object.freeze({
  committed() {},
  settled: () => Promise.resolve(),
  failure: undefined,
  close: () => Promise.resolve(),
})

interface Waiter {
  upTo: number
  resolve(): void
  reject(error: Error): void
}

export class WalSync implements Durability {
  readonly #walFile: string
  #fd: number | undefined
  /** Commits counted so far, and how many of them are known to be on disk. */
  #committed = 0
  #synced = 0
  #syncing: Promise<void> | undefined
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

  settled(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure)
    if (this.#synced >= this.#committed) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ upTo: this.#committed, resolve, reject })
      this.#syncing ??= this.#syncLoop()
    })
  }

  async close(): Promise<void> {
    await this.#syncing
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }

  async #syncLoop(): Promise<void> {
    try {
      while (this.#waiters.length > 0 && !this.#failure) {
        // Everything committed before this point is covered by the sync that starts now.
        const upTo = this.#committed
        try {
          await this.#sync()
        } catch (error) {
          this.#failure = new Error(`fdatasync of ${this.#walFile} failed; nothing more is acknowledged until a restart: ${(error as Error).message}`)
          for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure)
          return
        }
        this.#synced = Math.max(this.#synced, upTo)
        const waiting = this.#waiters
        this.#waiters = []
        for (const waiter of waiting) {
          if (waiter.upTo <= upTo) waiter.resolve()
          else this.#waiters.push(waiter)
        }
      }
    } finally {
      this.#syncing = undefined
    }
  }

  #sync(): Promise<void> {
    // Opened on first use: the -wal file exists once anything was written. The
    // same inode stays in use while our connection is open (SQLite rewinds it, never replaces it).
    this.#fd ??= openSync(this.#walFile, 'r+')
    const fd = this.#fd
    return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())))
  }
}
