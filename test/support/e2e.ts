/**
 * Helpers of the end-to-end tests: a fast dev stack (sandbox + connector over
 * real HTTP on loopback, short retry schedules) and child processes run with
 * `node --conditions=source --import tsx` whose output can be awaited line by line.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateDevKeys, startDevStack, type DevKeys, type DevStack, type DevStackOptions } from '../../scripts/dev-setup.js'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

let keys: DevKeys | undefined
/** One pair of dev key pairs per test process (RSA keygen is slow). */
export function testDevKeys(): DevKeys {
  return (keys ??= generateDevKeys('e2e-client'))
}

export interface TestStack extends DevStack {
  dir: string
}

/**
 * A sandbox and a connector on free loopback ports, with a fresh database and
 * fast schedules: reviews in 50 ms, sandbox retries 10–40 ms apart, outbox
 * retries 150 ms apart, no quick retries, no reconciler unless asked.
 */
export async function startTestStack(overrides: Partial<DevStackOptions> = {}): Promise<TestStack> {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-e2e-'))
  try {
    const stack = await startDevStack({
      keys: testDevKeys(),
      db: join(dir, 'benefitkit.db'),
      ...overrides,
      sandbox: {
        reviewDelayMs: 50,
        retryBackoffMs: 10,
        retryBackoffMaxMs: 40,
        notifyRetryScheduleMs: [50, 100],
        // Long enough that only injected faults make a call fail, even on a loaded machine.
        requestTimeoutMs: 5_000,
        ...overrides.sandbox,
      },
      outbox: {
        schedule: { delaysMs: [150], thenEveryMs: 150, jitter: 0 },
        quickRetries: { retries: 0 },
        pollIntervalMs: 100,
        reconciler: false,
        ...overrides.outbox,
      },
      config: { dbSynchronous: 'NORMAL', ...overrides.config },
    })
    return {
      ...stack,
      dir,
      async stop() {
        await stack.stop()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

/** Polls `check` until it returns a truthy value; throws with `what` on timeout. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/* -------------------------------------------------------- child processes */

export interface Child {
  process: ChildProcess
  /** Every stdout line so far. */
  lines: string[]
  stderr(): string
  /** Resolves with the first stdout line (past or future) that matches. */
  waitForLine(match: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>
  /** Kills it hard if still running (cleanup in finally blocks). */
  kill(): void
}

/** The environment without the caller's BENEFITKIT_* settings, plus `env`. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BENEFITKIT_')))
  return { ...base, ...env }
}

/** Runs a TypeScript file of the repository as `node --conditions=source --import tsx FILE ARGS`. */
export function runTs(file: string, args: string[] = [], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  const waiters = new Set<{ test: (line: string) => boolean; resolve: (line: string) => void }>()
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk
    const parts = partial.split('\n')
    partial = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      for (const w of waiters) {
        if (w.test(line)) {
          waiters.delete(w)
          w.resolve(line)
        }
      }
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number | string>((resolveExit) => child.on('exit', (code, signal) => resolveExit(code ?? signal ?? -1)))
  return {
    process: child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(match, timeoutMs = 30_000) {
      const test = typeof match === 'function' ? match : (line: string) => match.test(line)
      const found = lines.find(test)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise<string>((resolveLine, reject) => {
        const waiter = { test, resolve: (line: string) => (clearTimeout(timer), resolveLine(line)) }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`no line matching ${String(match)} within ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.slice(-4000)}`))
        }, timeoutMs)
        waiters.add(waiter)
        void exited.then((code) => {
          if (!waiters.has(waiter)) return
          waiters.delete(waiter)
          clearTimeout(timer)
          reject(new Error(`exited (${code}) before a line matching ${String(match)}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.slice(-4000)}`))
        })
      })
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/** Resolves with the exit code, or rejects after `timeoutMs`. */
export async function exitOf(child: Child, timeoutMs = 30_000): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      child.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms; stderr:\n${child.stderr().slice(-4000)}`)), timeoutMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
