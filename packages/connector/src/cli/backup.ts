import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineCommand } from 'citty'
import { CliFailure, configArgs, databaseFileFrom, output } from './common.js'
import { onlineBackup, verifyBackup, type BackupProgress } from './online-backup.js'

export default defineCommand({
  meta: {
    name: 'backup',
    description: 'Copy the database to FILE while the connector runs (SQLite online backup), then verify the copy',
  },
  args: {
    file: { type: 'positional', required: true, description: 'where to write the copy, e.g. backups/benefitkit-2026-11-24.db', valueHint: 'FILE' },
    ...configArgs,
    force: { type: 'boolean', description: 'overwrite FILE if it exists', default: false },
  },
  async run({ args }) {
    const source = resolve(databaseFileFrom(args))
    const file = resolve(args.file)
    if (!existsSync(source)) throw new CliFailure(`no database at ${source}: set BENEFITKIT_DB (or "db" in --config) to the connector's database file`)
    if (file === source) throw new CliFailure('FILE is the database itself: give another path')
    if (existsSync(file) && !args.force) throw new CliFailure(`${file} exists: choose another name or add --force`)

    const progress = args.json ? () => {} : progressPrinter()
    let result
    try {
      result = await onlineBackup(source, file, progress)
    } catch (error) {
      throw new CliFailure(`backup of ${source} failed: ${(error as Error).message}`)
    }
    const check = verifyBackup(file)
    const ok = check.integrity === 'ok'
    output(args.json, { ...result, ...check, ok }, () =>
      [
        `Backed up ${source}`,
        `       to ${file} (${formatBytes(result.bytes)}, ${result.pages} pages) in ${(result.durationMs / 1000).toFixed(1)} s` +
          (result.restarts ? `, restarted ${result.restarts}× as the database changed` : ''),
        `Verified: integrity ${check.integrity}; ${check.migrations.length} migrations applied`,
        ...Object.entries(check.rows).map(([table, n]) => `  ${table.padEnd(22)} ${n}`),
        '',
        'To restore: stop the connector, copy this file over BENEFITKIT_DB, delete the -wal and -shm files next to it, start the connector.',
      ].join('\n'),
    )
    if (!ok) throw new CliFailure(`the copy failed its integrity check (${check.integrity}); keep the old backups and try again`)
  },
})

/** Progress on stderr: a live percentage on a terminal, a line per quarter otherwise. */
function progressPrinter(): (p: BackupProgress) => void {
  const tty = process.stderr.isTTY === true
  let lastQuarter = -1
  return ({ totalPages, remainingPages }) => {
    const percent = totalPages === 0 ? 100 : Math.floor(((totalPages - remainingPages) / totalPages) * 100)
    if (tty) {
      process.stderr.write(`\rbacking up: ${String(percent).padStart(3)}% (${totalPages - remainingPages}/${totalPages} pages)`)
      if (remainingPages === 0) process.stderr.write('\n')
      return
    }
    const quarter = Math.floor(percent / 25)
    if (quarter !== lastQuarter) {
      lastQuarter = quarter
      process.stderr.write(`backing up: ${percent}% (${totalPages - remainingPages}/${totalPages} pages)\n`)
    }
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
