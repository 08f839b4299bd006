import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import SQLite from 'better-sqlite3'

/**
 * A consistent copy of a live SQLite database, through SQLite's online backup
 * API (better-sqlite3 `db.backup`): safe while the daemon writes — WAL readers
 * never block the writer — and the copy is one committed state.
 *
 * SQLite restarts a backup whenever another connection writes to the source
 * between two steps. Under steady load a small step could restart forever, so
 * every restart doubles the pages copied per step: the last steps copy the
 * whole file under one read lock and always finish.
 */

export interface BackupProgress {
  totalPages: number
  remainingPages: number
  /** Times the copy started over because the source changed mid-way. */
  restarts: number
}

export interface BackupResult {
  source: string
  file: string
  bytes: number
  pages: number
  restarts: number
  durationMs: number
}

const FIRST_STEP_PAGES = 256
/** better-sqlite3's largest step: the rest of the file in one go. */
const ALL_PAGES = 0x7fffffff

export async function onlineBackup(source: string, file: string, onProgress: (p: BackupProgress) => void = () => {}): Promise<BackupResult> {
  const started = Date.now()
  // fileMustExist: a typo in BENEFITKIT_DB must not back up a fresh empty database.
  const db = new SQLite(source, { fileMustExist: true })
  const partial = `${file}.partial-${process.pid}`
  rmSync(partial, { force: true })
  let step = FIRST_STEP_PAGES
  let lastCopied = -1
  let restarts = 0
  let pages = 0
  try {
    db.pragma('busy_timeout = 5000')
    const done = await db.backup(partial, {
      progress({ totalPages, remainingPages }) {
        pages = totalPages
        const copied = totalPages - remainingPages
        // Without a restart the last step added `step` pages; fewer means it began again.
        if (lastCopied >= 0 && copied < lastCopied + step) {
          restarts++
          step = Math.min(step * 2, ALL_PAGES)
        }
        lastCopied = copied
        onProgress({ totalPages, remainingPages, restarts })
        return step
      },
    })
    // better-sqlite3 resolves without reporting the last step.
    pages = done.totalPages
    onProgress({ totalPages: done.totalPages, remainingPages: 0, restarts })
    // The copy inherits WAL mode from the header; a backup should be one
    // self-contained file that can be copied anywhere.
    const copy = new SQLite(partial)
    try {
      copy.pragma('journal_mode = DELETE')
    } finally {
      copy.close()
    }
    renameSync(partial, file)
  } catch (error) {
    rmSync(partial, { force: true })
    for (const suffix of ['-wal', '-shm', '-journal']) rmSync(partial + suffix, { force: true })
    throw error
  } finally {
    db.close()
  }
  return { source, file, bytes: statSync(file).size, pages, restarts, durationMs: Date.now() - started }
}

export interface BackupCheck {
  integrity: string
  migrations: string[]
  /** Rows per table (every table of the schema, sorted by name). */
  rows: Record<string, number>
}

/** Opens the copy read-only, checks its integrity and counts every table's rows. */
export function verifyBackup(file: string): BackupCheck {
  if (!existsSync(file)) throw new Error(`${file} does not exist`)
  const db = new SQLite(file, { readonly: true, fileMustExist: true })
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ')
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
      .pluck()
      .all() as string[]
    const rows: Record<string, number> = {}
    for (const table of tables) {
      rows[table] = db.prepare(`select count(*) from "${table.replaceAll('"', '""')}"`).pluck().get() as number
    }
    const migrations = tables.includes('kysely_migration')
      ? (db.prepare('select name from kysely_migration order by name').pluck().all() as string[])
      : []
    return { integrity, migrations, rows }
  } finally {
    db.close()
  }
}
