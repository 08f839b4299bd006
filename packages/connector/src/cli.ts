#!/usr/bin/env node
/**
 * The `benefitkit` executable. Everything lives in cli/main.ts so that importing
 * the CLI (tests, index.ts) never runs it.
 */
import { runCli } from './cli/main.js'

runCli(process.argv.slice(2)).then((code) => {
  // `serve` keeps the event loop alive; everything else ends here.
  process.exitCode = code
})
