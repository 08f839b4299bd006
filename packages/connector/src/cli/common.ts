import { readFileSync } from 'node:fs'
import { ConfigError, loadConfig, type Config } from '../config.js'
import { migrateToLatest, openDatabase, type OpenedDatabase } from '../db/open.js'

/** Exit codes: 0 ok, 1 failure, 2 usage error. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** An expected failure: printed as its message alone (no stack), exit 1 (or 2 for usage). */
export class CliFailure extends Error {
  override readonly name = 'CliFailure'
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message)
  }
}

/** Arguments every command that reads the configuration accepts. */
export const configArgs = {
  config: { type: 'string', description: 'JSON config file (environment variables override it)', valueHint: 'FILE' },
  json: { type: 'boolean', description: 'machine-readable output', default: false },
} as const

/** Loads the configuration or fails with every problem listed. */
export function configFrom(args: { config?: string | undefined }, overrides: Record<string, unknown> = {}): Config {
  try {
    return loadConfig({ file: args.config, overrides })
  } catch (error) {
    if (error instanceof ConfigError) throw new CliFailure(error.message)
    throw error
  }
}

/**
 * Only what the database commands need: the file. A bare `BENEFITKIT_DB` (or the
 * default) is enough, so `benefitkit outbox list` works without keys.
 */
export function databaseFileFrom(args: { config?: string | undefined }): string {
  if (args.config) {
    try {
      return loadConfig({ file: args.config }).db
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      // Keys may be missing for read-only commands: fall back to the file's db field.
    }
  }
  return process.env.BENEFITKIT_DB || readDbFromFile(args.config) || './data/benefitkit.db'
}

function readDbFromFile(file: string | undefined): string | undefined {
  if (!file) return undefined
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { db?: unknown }
    return typeof parsed.db === 'string' ? parsed.db : undefined
  } catch {
    return undefined
  }
}

/** Opens and migrates the database, runs `fn`, always closes. */
export async function withDatabase<T>(file: string, fn: (database: OpenedDatabase) => Promise<T>): Promise<T> {
  const database = openDatabase(file)
  try {
    const migration = await migrateToLatest(database.db)
    if (migration.error) throw new CliFailure(`database migration failed: ${String(migration.error)}`)
    return await fn(database)
  } finally {
    await database.close()
  }
}

/** Prints JSON for scripts (`--json`) or the human text. */
export function output(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`)
}

/** A plain aligned table for people. */
export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)'
  const cells = rows.map((row) => columns.map((c) => (row[c] === null || row[c] === undefined ? '-' : String(row[c]))))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)))
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n')
}
