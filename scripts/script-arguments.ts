/**
 * The script's own arguments. `corepack pnpm start -- --port 0` hands the script a
 * literal `--` first (pnpm 10 forwards it), which parseArgs would take as the end of
 * options; drop it so both `pnpm start -- --port 0` and `pnpm start --port 0` work.
 */
export function scriptArguments(argv: string[] = process.argv.slice(2)): string[] {
  return argv[0] === '--' ? argv.slice(1) : argv
}
