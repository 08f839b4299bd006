#!/usr/bin/env node
/**
 * `benefitkit-sandbox serve | state | calls | release | collect | faults …`
 * Exit codes: 0 ok, 1 failure, 2 usage error (citty's own runMain exits 1 for
 * everything, so errors are mapped here).
 */
import { runCommand, runMain } from 'citty'
import { ControlError } from './cli/control-client.js'
import { exitCodeOf, main } from './cli/commands.js'

const rawArgs = process.argv.slice(2)

if (rawArgs.length === 0 || rawArgs.includes('--help') || rawArgs.includes('-h')) {
  // citty prints the usage of the (sub)command named before --help.
  await runMain(main, { rawArgs: rawArgs.length === 0 ? ['--help'] : rawArgs })
} else {
  try {
    await runCommand(main, { rawArgs })
  } catch (error) {
    const code = exitCodeOf(error)
    const message = error instanceof ControlError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)
    process.stderr.write(`${message}${code === 2 ? '\n(see --help)' : ''}\n`)
    process.exitCode = code
  }
}
