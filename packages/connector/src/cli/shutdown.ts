import type { Logger } from '../logger.js'

/**
 * One shutdown routine for SIGTERM and SIGINT: the first signal stops cleanly
 * within `deadlineMs`; a second signal, or the deadline, exits at once.
 */
export function installShutdown(close: () => Promise<void>, logger: Logger, deadlineMs = 10_000): void {
  let closing = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    closing = true
    logger.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown deadline passed: exiting now')
      process.exit(1)
    }, deadlineMs)
    timer.unref()
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
