/**
 * `benefitkit <command>`: the connector's command line. Exit codes: 0 ok,
 * 1 failure, 2 usage error. Human output by default, `--json` for scripts.
 */
import { defineCommand, runCommand, showUsage, type CommandDef } from 'citty'
import { CliFailure, EXIT_FAILURE, EXIT_USAGE } from './common.js'

const load = <T>(importer: () => Promise<{ default: T }>) => () => importer().then((m) => m.default)

export const main = defineCommand({
  meta: { name: 'benefitkit', description: 'The benefitkit connector: benefits in super apps, redeemed in mini programs' },
  subCommands: {
    serve: load(() => import('./serve.js')),
    keygen: load(() => import('./keygen.js')),
    migrate: load(() => import('./migrate.js')),
    backup: load(() => import('./backup.js')),
    keys: load(() => import('./keys.js')),
    templates: load(() => import('./templates.js')),
    apikeys: load(() => import('./apikeys.js')),
    outbox: load(() => import('./outbox.js')),
    status: load(() => import('./status.js')),
  },
})

/** Runs the CLI with `argv` and returns the exit code (never calls process.exit itself). */
export async function runCli(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    await showUsage(...(await resolveForUsage(main, argv)))
    return argv.length === 0 ? EXIT_USAGE : 0
  }
  try {
    await runCommand(main, { rawArgs: argv })
    return 0
  } catch (error) {
    const err = error as Error & { code?: string; exitCode?: number }
    if (err.name === 'CLIError') {
      await showUsage(...(await resolveForUsage(main, argv)))
      process.stderr.write(`\n${err.message}\n`)
      return EXIT_USAGE
    }
    if (error instanceof CliFailure) {
      process.stderr.write(`${error.message}\n`)
      return error.exitCode
    }
    process.stderr.write(`error: ${err.message}\n`)
    if (process.env.BENEFITKIT_DEBUG) process.stderr.write(`${err.stack}\n`)
    return EXIT_FAILURE
  }
}

/** The deepest subcommand named in argv, for its usage text. */
async function resolveForUsage(cmd: CommandDef<any>, argv: string[]): Promise<[CommandDef<any>, CommandDef<any>?]> {
  let current = cmd
  let parent: CommandDef<any> | undefined
  for (const word of argv) {
    if (word.startsWith('-')) break
    const subs = typeof current.subCommands === 'function' ? await current.subCommands() : await current.subCommands
    const next = subs?.[word]
    if (!next) break
    parent = current
    current = typeof next === 'function' ? await (next as () => Promise<CommandDef<any>>)() : await next
  }
  return parent ? [current, parent] : [current]
}

