import { pino, type Logger, type DestinationStream } from 'pino'

export type { Logger }

/**
 * Paths that may carry secrets, keys, codes, PINs or signatures. Request logs
 * never include bodies, but anything that logs an object passes through this.
 */
export const REDACT_PATHS = [
  'privateKey',
  '*.privateKey',
  'secret',
  '*.secret',
  'adminToken',
  '*.adminToken',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.signature',
  'req.headers.authorization',
  'req.headers.signature',
  'signature',
  '*.signature',
  'benefitCode',
  '*.benefitCode',
  'benefitPin',
  '*.benefitPin',
  'benefitUrl',
  '*.benefitUrl',
  'code',
  'pin',
  '*.pin',
  'benefitDetails',
  '*.benefitDetails',
]

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'benefitkit-connector' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  )
}
