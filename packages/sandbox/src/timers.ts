/**
 * Every timer and in-flight outbound call the sandbox owns, so `stop()` can
 * cancel all of them: a review or notify retry firing after the test closed the
 * server would call into a dead ISV, retry forever and keep the process alive.
 */
export class Scheduler {
  readonly #timers = new Set<NodeJS.Timeout>()
  #controller = new AbortController()
  #running = true

  /**
   * Aborted by `stop()`. Callers capture it before an await: after a stop and
   * restart the property names a fresh signal, the captured one stays aborted.
   */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  get running(): boolean {
    return this.#running
  }

  /** Runs `fn` after `ms` unless stopped first; does nothing while stopped. Errors go to `onError`. */
  after(ms: number, fn: () => unknown, onError: (error: unknown) => void): void {
    if (!this.#running) return
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      try {
        Promise.resolve(fn()).catch(onError)
      } catch (error) {
        onError(error)
      }
    }, Math.max(0, ms))
    this.#timers.add(timer)
  }

  /** Resolves after `ms`; rejects with an AbortError when stopped. */
  sleep(ms: number): Promise<void> {
    const signal = this.signal
    if (signal.aborted) return Promise.reject(abortError())
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        signal.removeEventListener('abort', onAbort)
        resolve()
      }, Math.max(0, ms))
      const onAbort = (): void => {
        clearTimeout(timer)
        this.#timers.delete(timer)
        reject(abortError())
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#timers.add(timer)
    })
  }

  /** Cancels every timer and aborts every call in flight; nothing new is scheduled until `resume()`. */
  stop(): void {
    this.#running = false
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    this.#controller.abort()
  }

  resume(): void {
    if (this.#running) return
    this.#controller = new AbortController()
    this.#running = true
  }
}

function abortError(): Error {
  const error = new Error('the sandbox is stopping')
  error.name = 'AbortError'
  return error
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError'
}
