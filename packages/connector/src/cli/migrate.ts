import { defineCommand } from 'citty'
import { migrateToLatest, openDatabase } from '../db/open.js'
import { CliFailure, configArgs, databaseFileFrom, output } from './common.js'

export default defineCommand({
  meta: { name: 'migrate', description: 'Create or upgrade the database schema' },
  args: configArgs,
  async run({ args }) {
    const file = databaseFileFrom(args)
    const database = openDatabase(file)
    try {
      const { error, results } = await migrateToLatest(database.db)
      const applied = results.map((r) => ({ migration: r.migrationName, status: r.status }))
      if (error) throw new CliFailure(`migration failed: ${String((error as Error).message ?? error)}\n${JSON.stringify(applied)}`)
      output(args.json, { database: file, applied }, () =>
        applied.length
          ? [`Database ${file}:`, ...applied.map((a) => `  ${a.status === 'Success' ? 'applied' : a.status} ${a.migration}`)].join('\n')
          : `Database ${file} is up to date.`,
      )
    } finally {
      await database.close()
    }
  },
})
