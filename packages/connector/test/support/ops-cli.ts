import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * The `benefitkit` CLI as a real child process (source through tsx, as
 * `pnpm start` runs it), with a clean environment: no BENEFITKIT_* leaks in
 * from the machine running the tests.
 */

export const CLI_ENTRY = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))
const TSX = import.meta.resolve('tsx')

export interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  durationMs: number
}

export interface CliOptions {
  env?: Record<string, string>
  cwd?: string
  timeoutMs?: number
}

function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BENEFITKIT_')) env[k] = v
  return { ...env, NO_COLOR: '1', ...extra }
}

export function spawnCli(args: string[], { env, cwd }: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', TSX, CLI_ENTRY, ...args], {
    env: cleanEnv(env),
    cwd: cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Runs the CLI to completion (killed after `timeoutMs`). */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const started = Date.now()
  const child = spawnCli(args, options)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')))
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started })
    })
  })
}

/** Resolves with the first stdout match of `pattern` (e.g. the URL `serve` prints). */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = ''
    let errors = ''
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; stdout: ${seen} stderr: ${errors}`)), timeoutMs)
    child.stderr!.on('data', (c: Buffer) => (errors += c.toString('utf8')))
    child.stdout!.on('data', (c: Buffer) => {
      seen += c.toString('utf8')
      const match = pattern.exec(seen)
      if (match) {
        clearTimeout(timer)
        resolve(match)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before printing ${pattern}; stdout: ${seen} stderr: ${errors}`))
    })
  })
}
