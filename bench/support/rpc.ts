/**
 * A tiny request/answer channel over Node's IPC between the bench (or soak)
 * process and its children: the connector under load, the bare Koa baseline,
 * the load driver. The child calls `serveRpc(handlers)` and announces itself;
 * the parent `forkRpc`s it and `call`s handlers by name.
 */
import { fork, type ChildProcess } from 'node:child_process'

type Handler = (args: any) => unknown

interface Reply {
  type: 'reply'
  id: number
  ok: boolean
  value?: unknown
  error?: string
}

interface Progress {
  type: 'progress'
  line: string
}

/** Child side: answers calls until the parent disconnects (then runs `onDisconnect` and exits). */
export function serveRpc(handlers: Record<string, Handler>, { onDisconnect }: { onDisconnect?: () => Promise<void> } = {}): void {
  if (!process.send) throw new Error('serveRpc: this process has no IPC channel (start it with forkRpc)')
  process.on('message', async (message: { type: 'call'; id: number; cmd: string; args: unknown }) => {
    if (message?.type !== 'call') return
    const handler = handlers[message.cmd]
    let reply: Reply
    try {
      if (!handler) throw new Error(`unknown command ${message.cmd}`)
      reply = { type: 'reply', id: message.id, ok: true, value: await handler(message.args) }
    } catch (error) {
      reply = { type: 'reply', id: message.id, ok: false, error: (error as Error)?.stack ?? String(error) }
    }
    process.send!(reply)
  })
  process.on('disconnect', () => {
    const done = onDisconnect ? onDisconnect() : Promise.resolve()
    done.then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
  process.send({ type: 'ready' })
}

/** Child side: a progress line the parent prints. */
export function rpcProgress(line: string): void {
  process.send?.({ type: 'progress', line } satisfies Progress)
}

export interface RpcChild {
  readonly child: ChildProcess
  readonly pid: number
  call<T = unknown>(cmd: string, args?: unknown): Promise<T>
  /** Sends `stop` if the child has such a command, then waits for it to exit (SIGKILL after `graceMs`). */
  close(graceMs?: number): Promise<void>
}

export interface ForkOptions {
  /** Run the entry with tsx (TypeScript sources); false for a bundled .mjs. */
  tsx?: boolean
  execArgv?: string[]
  env?: NodeJS.ProcessEnv
  cwd?: string
  onProgress?: (line: string) => void
  /** Give up if the child is not ready within this time. */
  readyTimeoutMs?: number
}

export function forkRpc(entry: string, options: ForkOptions = {}): Promise<RpcChild> {
  const execArgv = [...(options.tsx === false ? [] : ['--conditions=source', '--import', 'tsx']), ...(options.execArgv ?? [])]
  const child = fork(entry, [], {
    execArgv,
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let next = 0
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.on('message', (message: Reply | Progress | { type: 'ready' }) => {
    if (message.type === 'progress') options.onProgress?.(message.line)
    if (message.type !== 'reply') return
    const waiter = pending.get(message.id)
    pending.delete(message.id)
    if (message.ok) waiter?.resolve(message.value)
    else waiter?.reject(new Error(`${entry}: ${message.error}`))
  })
  child.once('exit', (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${entry} exited (${code ?? signal}) during a call`))
    pending.clear()
  })
  const rpc: RpcChild = {
    child,
    pid: child.pid!,
    call<T>(cmd: string, args?: unknown): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (!child.connected) return reject(new Error(`${entry} is not running`))
        const id = ++next
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
        child.send({ type: 'call', id, cmd, args })
      })
    },
    async close(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      if (child.connected) child.disconnect()
      await exited
      clearTimeout(timer)
    },
  }
  return new Promise<RpcChild>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${entry} was not ready within ${options.readyTimeoutMs ?? 60_000} ms`))
    }, options.readyTimeoutMs ?? 60_000)
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== 'ready') return
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve(rpc)
    }
    child.on('message', onMessage)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${entry} exited before it was ready (${code ?? signal})`))
    })
  })
}
