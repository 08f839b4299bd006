import type { Logger } from '../logger.js'

/**
 * One shutdown routine for signals and crashes (after mcollina/close-with-grace):
 *
 * - the first SIGTERM or SIGINT runs `close()` — which stops accepting, lets
 *   in-flight requests and deliveries finish within its own deadline and
 *   closes the database — then flushes the log and exits 0;
 * - a second signal exits 1 at once;
 * - an uncaught exception or unhandled rejection is logged as fatal, then
 *   closes the same way and exits 1;
 * - if `close()` itself hangs past `deadlineMs + graceMs`, exit 1.
 */
export interface ShutdownOptions {
  close: () => Promise<void>
  logger: Logger
  /** The connector's own drain deadline (config.shutdownTimeoutMs). */
  deadlineMs: number
  /** Extra time after the deadline for closing the database and flushing logs. */
  graceMs?: number
  /** Replaceable for tests; defaults to process.exit. */
  exit?: (code: number) => void
}

export interface InstalledShutdown {
  /** Runs the same shutdown as a signal would (e.g. from a supervisor hook). */
  shutdown(reason: string, exitCode?: number): void
  uninstall(): void
}

export function installShutdown({ close, logger, deadlineMs, graceMs = 5_000, exit = (code) => process.exit(code) }: ShutdownOptions): InstalledShutdown {
  let closing = false

  const finish = (code: number) => {
    // pino writes asynchronously: let it write what it holds before we go.
    try {
      logger.flush(() => exit(code))
    } catch {
      exit(code)
    }
  }

  const shutdown = (reason: string, exitCode = 0) => {
    if (closing) {
      logger.warn({ reason }, 'already shutting down: exiting now')
      finish(1)
      return
    }
    closing = true
    const started = Date.now()
    logger.info({ reason, deadlineMs }, 'shutting down: finishing in-flight requests and deliveries')
    const timer = setTimeout(() => {
      logger.error({ deadlineMs, graceMs }, 'shutdown did not finish in time: exiting now')
      finish(1)
    }, deadlineMs + graceMs)
    timer.unref()
    close().then(
      () => {
        clearTimeout(timer)
        logger.info({ durationMs: Date.now() - started }, 'stopped')
        finish(exitCode)
      },
      (error: unknown) => {
        clearTimeout(timer)
        logger.error({ err: error }, 'shutdown failed')
        finish(1)
      },
    )
  }

  const onSignal = (signal: NodeJS.Signals) => shutdown(signal)
  const onCrash = (error: unknown, origin: string) => {
    logger.fatal({ err: error, origin }, 'crashed: shutting down')
    shutdown(origin, 1)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  process.on('uncaughtException', onCrash)
  const onRejection = (reason: unknown) => onCrash(reason, 'unhandledRejection')
  process.on('unhandledRejection', onRejection)

  return {
    shutdown,
    uninstall() {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      process.off('uncaughtException', onCrash)
      process.off('unhandledRejection', onRejection)
    },
  }
}
