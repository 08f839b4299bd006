import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/**
 * Closing an HTTP server without cutting an answer in half.
 *
 * `server.close()` stops accepting and (Node ≥ 19) closes idle keep-alive
 * sockets, but a socket busy with a request stays open afterwards until the
 * client or keepAliveTimeout (65 s) ends it. So while draining, every answer
 * carries `Connection: close` (the socket ends after it), and idle sockets are
 * swept every few milliseconds. At the deadline whatever is left is cut.
 */
export class GracefulClose {
  #draining = false
  #active = 0
  readonly #server: Server

  constructor(server: Server) {
    this.#server = server
    // One listener for all requests; no closure per request.
    server.on('request', this.#onRequest)
  }

  /** True once close() has begun: /readyz answers 503 so a balancer stops sending. */
  get draining(): boolean {
    return this.#draining
  }

  /** Requests received and not yet answered. */
  get active(): number {
    return this.#active
  }

  readonly #onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
    this.#active++
    if (this.#draining && !res.headersSent) res.setHeader('Connection', 'close')
    res.once('close', this.#onClose)
  }

  readonly #onClose = (): void => {
    this.#active--
  }

  /**
   * Stops accepting, lets in-flight requests finish, then closes. Resolves
   * with the number of requests that were still unanswered at the deadline
   * (their connections were cut; 0 on a clean close).
   */
  async close(deadlineMs: number): Promise<{ cut: number }> {
    this.#draining = true
    const server = this.#server
    let closed = false
    const done = new Promise<void>((resolve) => server.close(() => resolve())).then(() => {
      closed = true
    })
    const deadline = Date.now() + deadlineMs
    while (!closed && Date.now() < deadline) {
      // Sockets that just finished their last answer are idle now.
      server.closeIdleConnections()
      await Promise.race([done, sleep(Math.min(25, Math.max(1, deadline - Date.now())))])
    }
    let cut = 0
    if (!closed) {
      cut = this.#active
      server.closeAllConnections()
      await done
    }
    server.off('request', this.#onRequest)
    return { cut }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
