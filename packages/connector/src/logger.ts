import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino'
import { CENSOR, redact, secretKeySpellings, SECRET_FIELD_NAMES } from './observability/redact.js'

export type { Logger }

/**
 * Field names redacted from every log line, at any depth (lower-cased; see
 * observability/redact.ts): keys, secrets, tokens, signatures, benefit codes,
 * PINs, URLs and bodies. Request logs never include bodies or headers in the
 * first place; this catches whatever else gets logged.
 */
export const REDACT_PATHS: readonly string[] = SECRET_FIELD_NAMES

/**
 * The connector's logger: JSON lines, ISO times, secrets redacted. `destination`
 * defaults to stdout (synchronous, so nothing is lost on exit); tests pass a
 * stream to capture lines.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'benefitkit-connector' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        // `err` is left to its serializer below, which redacts after serializing.
        log: (object) => {
          if (!('err' in object)) return redact(object) as Record<string, unknown>
          const { err, ...rest } = object
          return { ...(redact(rest) as Record<string, unknown>), err }
        },
        bindings: (bindings) => redact(bindings) as Record<string, unknown>,
      },
      serializers: {
        // Child bindings (`logger.child({ token })`) only pass through serializers.
        ...Object.fromEntries(secretKeySpellings().map((key) => [key, censor])),
        err: (error: unknown) => redact(error instanceof Error ? stdSerializers.err(error) : error, 0, true),
      },
    },
    destination,
  )
}

function censor(value: unknown): unknown {
  return value === undefined || value === null ? value : CENSOR
}
