import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/**
 * WAL checkpoints off the event loop.
 *
 * SQLite copies the WAL back into the database file ("checkpoint") from inside
 * whichever COMMIT pushes the WAL past `wal_autocheckpoint` pages, and a
 * checkpoint syncs both files: on the daemon's only thread that is a 5–20 ms
 * stop every few hundred commits under load — the requests caught behind it
 * are the slowest percentile. This worker thread, with its own connection,
 * runs a PASSIVE checkpoint every `intervalMs` instead (PASSIVE never waits
 * for or blocks a writer), so the WAL is copied back a little at a time on
 * another core.
 *
 * The daemon's connection keeps a high `wal_autocheckpoint` as a safety net:
 * if this worker stalls or dies, SQLite still checkpoints on its own.
 */

/** Pages the daemon's own connection lets the WAL reach before it checkpoints inline (the safety net). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000

// Plain CommonJS run by the worker (eval: true keeps it working from bundles).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const SQLite = require(workerData.driver)
const db = new SQLite(workerData.file)
db.pragma('busy_timeout = 0')
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)')
let checkpoints = 0
const timer = setInterval(() => {
  try {
    checkpoint.get()
    checkpoints++
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) })
  }
}, workerData.intervalMs)
parentPort.on('message', (message) => {
  if (message !== 'stop') return
  clearInterval(timer)
  try { checkpoint.get() } catch {}
  db.close()
  parentPort.postMessage({ stopped: checkpoints })
})
`

/**
 * Where better-sqlite3 lives, for the worker's require(): resolved from here,
 * or — when this code was bundled somewhere else — the copy this process
 * already loaded (an ESM import of a CommonJS package goes through require's cache).
 */
function driverPath(): string {
  const require = createRequire(import.meta.url)
  try {
    return require.resolve('better-sqlite3')
  } catch {
    const loaded = Object.keys(require.cache).find((path) => /[\\/]better-sqlite3[\\/]lib[\\/]index\.js$/.test(path))
    if (loaded) return loaded
    throw new Error('cannot locate better-sqlite3 for the checkpoint worker')
  }
}

export interface CheckpointerOptions {
  intervalMs?: number
  /** Where checkpoint failures are reported (they are not fatal: the safety net remains). */
  onError?: (message: string) => void
}

export class BackgroundCheckpointer {
  readonly #worker: Worker
  #stopped: Promise<number> | undefined

  constructor(file: string, { intervalMs = 200, onError = () => {} }: CheckpointerOptions = {}) {
    const driver = driverPath()
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file, intervalMs },
      // A loop around one prepared statement: a small heap is plenty, and RSS counts.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
    })
    this.#worker.on('message', (message: { error?: string }) => {
      if (message.error) onError(message.error)
    })
    this.#worker.on('error', (error) => onError(error.message))
    // Never keeps the process alive on its own.
    this.#worker.unref()
  }

  /** A last checkpoint, then the worker closes its connection and ends. Resolves with how many checkpoints ran. */
  stop(): Promise<number> {
    this.#stopped ??= new Promise<number>((resolve) => {
      // Unref'd while running; stopping is awaited, so it must keep the process alive until done.
      this.#worker.ref()
      const done = (count: number) => {
        void this.#worker.terminate()
        resolve(count)
      }
      this.#worker.on('message', (message: { stopped?: number }) => {
        if (message.stopped !== undefined) done(message.stopped)
      })
      this.#worker.once('exit', () => resolve(0))
      this.#worker.postMessage('stop')
    })
    return this.#stopped
  }
}
