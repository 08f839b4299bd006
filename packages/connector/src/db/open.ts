import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, SqliteDialect, type MigrationResult } from 'kysely'
import { migrations } from './migrations.js'
import type { Database } from './schema.js'
import { NOT_SYNCED, WalSync, type Durability } from './durability.js'
import { withStatementCache } from './statement-cache.js'

export type Db = Kysely<Database>

export interface OpenDatabaseOptions {
  /**
   * SQLite's `synchronous` in WAL mode. FULL (default) fsyncs every commit, so an
   * acknowledged change survives power loss; NORMAL survives a process crash
   * (kill -9) but may lose the last commits on power loss.
   */
  synchronous?: 'FULL' | 'NORMAL'
  /**
   * With FULL: sync the WAL in libuv's thread pool instead of inside COMMIT,
   * and let callers wait for it with `durability.settled()` before they
   * acknowledge anything (see durability.ts). The daemon does this; one-shot
   * CLI commands keep SQLite's inline FULL.
   */
  syncInBackground?: boolean
  /**
   * SQLite copies the WAL back into the database file (a checkpoint, with two
   * fsyncs) inside whichever COMMIT takes the WAL past this many pages, and the
   * process waits for it. Fewer pages make each of those stalls shorter; the
   * daemon uses DAEMON_CHECKPOINT_PAGES. SQLite's default is 1000.
   */
  walAutocheckpointPages?: number
}

/**
 * The daemon's checkpoint size: a 250-page (1 MB) checkpoint stalls the event
 * loop for about 1–3 ms, a 1000-page one 5–15 ms, which is what the slowest
 * percentile of issueBenefit answers was made of. (A worker thread doing PASSIVE
 * checkpoints was tried: under steady writes a PASSIVE checkpoint never catches
 * the newest frame, so the WAL never restarts and grew to 80 MB.)
 */
export const DAEMON_CHECKPOINT_PAGES = 250

export interface OpenedDatabase {
  db: Db
  /** The better-sqlite3 handle, for online backups and health checks. */
  sqlite: SQLite.Database
  /** When a commit is on disk: immediate unless `syncInBackground` is on (see durability.ts). */
  durability: Durability
  close(): Promise<void>
}

/** Opens (creating folders as needed) the SQLite file in WAL mode. */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLite(file)
  sqlite.pragma('journal_mode = WAL')
  const synchronous = options.synchronous ?? 'FULL'
  const durability = synchronous === 'FULL' && options.syncInBackground && file !== ':memory:' ? new WalSync(file) : NOT_SYNCED
  // In the background mode COMMIT only writes the WAL (NORMAL); WalSync makes it durable before anything is acknowledged.
  sqlite.pragma(`synchronous = ${durability === NOT_SYNCED ? synchronous : 'NORMAL'}`)
  // Another process (the CLI while the daemon runs) may hold the write lock briefly.
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  // Each group-commit unit runs in a savepoint, whose undo journal spills to a
  // temporary file once a unit changes 16 pages (a redeem changes about that
  // many); kept in memory, every write of the batch is about 3× cheaper.
  sqlite.pragma('temp_store = MEMORY')
  if (options.walAutocheckpointPages !== undefined) sqlite.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages}`)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, durability) }) })
  return {
    db,
    sqlite,
    durability,
    close: async () => {
      await durability.close()
      await db.destroy()
    },
  }
}

export interface MigrationOutcome {
  error?: unknown
  results: MigrationResult[]
}

/** Runs every pending migration. Never throws: the caller reads `error`. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationOutcome> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const { error, results } = await migrator.migrateToLatest()
  return { error, results: results ?? [] }
}

/** Names of migrations not yet applied (for /readyz and `benefitkit status`). */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const all = await migrator.getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}
