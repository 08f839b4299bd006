/**
 * A timeline of who called whom, with which API, which result and how long it
 * took, gathered from three places: the sandbox's events (every call between
 * the connector and the platform, and the platform's own steps), the
 * connector's outbox deliveries, and the checkout's SDK calls. `pnpm demo`
 * prints it line by line as it grows, or as JSON at the end.
 */
import type { DeliveryEvent } from '@benefitkit/connector'
import type { Transport } from '@benefitkit/miniprogram-sdk'
import type { SandboxEvent } from '@benefitkit/sandbox'

export type Party = 'operator' | 'connector' | 'platform' | 'super app' | 'checkout' | 'sandbox' | 'demo'

export interface TimelineEntry {
  /** Order of arrival. */
  seq: number
  /** Milliseconds since the timeline started (when the thing began). */
  t: number
  at: string
  flow: string
  kind: 'call' | 'event' | 'step' | 'check'
  from?: Party
  to?: Party
  api?: string
  id?: string
  /** S / F / U for protocol calls, the HTTP status for redemption API calls. */
  status?: string
  code?: string
  durationMs?: number
  attempt?: number
  fault?: string
  ok?: boolean
  /** The line a person reads (without the time column). */
  text: string
}

function short(id: string | undefined, max = 22): string {
  if (!id) return '-'
  return id.length <= max ? id : `${id.slice(0, max - 1)}…`
}

export class Timeline {
  readonly entries: TimelineEntry[] = []
  readonly started = Date.now()
  flow = 'setup'
  #seq = 0
  #listeners: Array<(entry: TimelineEntry, line: string) => void> = []

  onEntry(listener: (entry: TimelineEntry, line: string) => void): void {
    this.#listeners.push(listener)
  }

  add(entry: Omit<TimelineEntry, 'seq' | 't' | 'at' | 'flow'> & { at?: string }): TimelineEntry {
    const at = entry.at ?? new Date().toISOString()
    const full: TimelineEntry = { ...entry, seq: ++this.#seq, at, t: Date.parse(at) - this.started, flow: this.flow }
    this.entries.push(full)
    const line = Timeline.format(full)
    for (const listener of this.#listeners) listener(full, line)
    return full
  }

  step(text: string): void {
    this.add({ kind: 'step', from: 'demo', text })
  }

  note(from: Party, text: string): void {
    this.add({ kind: 'event', from, text })
  }

  check(ok: boolean, text: string): void {
    this.add({ kind: 'check', ok, text })
  }

  /** One line per entry: `+1.234s  connector → platform  syncBenefit  id  S SUCCESS  12 ms`. */
  static format(e: TimelineEntry): string {
    const time = `+${(e.t / 1000).toFixed(3)}s`.padStart(9)
    if (e.kind === 'step') return `\n${e.text}`
    if (e.kind === 'check') return `${time}  ${e.ok ? '✓' : '✗'} ${e.text}`
    if (e.kind === 'event') return `${time}  ${(e.from ?? '').padEnd(22)}${e.text}`
    const who = `${e.from} → ${e.to}`.padEnd(22)
    const result = `${e.status ?? ''} ${e.code ?? ''}`.trim()
    const parts = [`${time}  ${who}${(e.api ?? '').padEnd(20)}${short(e.id).padEnd(24)}${result.padEnd(25)} ${e.durationMs !== undefined ? `${Math.round(e.durationMs)} ms` : ''}`]
    if (e.attempt && e.attempt > 1) parts.push(`attempt ${e.attempt}`)
    if (e.fault) parts.push(`[${e.fault}]`)
    if (e.text) parts.push(e.text)
    return parts.join('  ').trimEnd()
  }

  /** Feeds sandbox events in: calls both ways and the platform's steps. */
  sandboxListener(): (event: SandboxEvent) => void {
    return (event) => {
      switch (event.type) {
        case 'call': {
          const c = event.call
          const inbound = c.direction === 'inbound'
          this.add({
            kind: 'call',
            at: c.at,
            from: inbound ? 'connector' : 'platform',
            to: inbound ? 'platform' : 'connector',
            api: c.api,
            ...(c.id !== undefined ? { id: c.id } : {}),
            status: c.status,
            code: c.code,
            durationMs: c.durationMs,
            attempt: c.attempt,
            ...(c.fault ? { fault: c.fault } : {}),
            text: c.replayed ? '(replayed)' : '',
          })
          return
        }
        case 'sync-accepted':
          return this.note('platform', `review of ${event.benefitTemplateId} starts`)
        case 'sync-reviewed':
          return this.note(
            'platform',
            `review of ${event.benefitTemplateId}: ${event.syncStatus}${event.syncFailCode ? ` ${event.syncFailCode} "${event.syncFailReason ?? ''}"` : ''}`,
          )
        case 'notify-acknowledged':
          return this.note('platform', `notifyBenefitSync acknowledged after ${event.attempts} attempt(s)`)
        case 'notify-retry-scheduled':
          return this.note('platform', `notifyBenefitSync not acknowledged (${event.lastCode}); attempt ${event.attempt} in ${event.inMs} ms`)
        case 'notify-gave-up':
          return this.note('platform', `notifyBenefitSync gave up after ${event.attempts} attempts (${event.lastCode})`)
        case 'template-released':
          return this.note('super app', `${event.benefitTemplateId} released: users can collect it`)
        case 'collect-finished':
          return this.note(
            'super app',
            `${event.issue.userId}'s collect of ${event.issue.benefitTemplateId}: ${event.issue.outcome} (${event.issue.code}) after ${event.issue.attempts.length} call(s)`,
          )
        case 'benefit-used':
          return this.note('super app', `instance ${short(event.benefitInstanceId, 30)} deactivated in the wallet (used)`)
        case 'fault-fired':
          return undefined // the call it shaped carries the fault
        case 'outage':
          return this.note('sandbox', event.on ? 'platform OUTAGE begins: every platform API answers HTTP 503' : 'platform outage over')
        case 'error':
          return this.note('sandbox', `error: ${event.message}`)
      }
    }
  }

  /** Feeds the connector's outbox deliveries in (only what the sandbox cannot see: the retry plan). */
  deliveryListener(): (event: DeliveryEvent) => void {
    return (event) => {
      const { verdict } = event
      if (verdict.kind === 'retry') {
        const inMs = Math.max(0, verdict.at - Date.now())
        this.note('connector', `outbox: ${event.api} attempt ${event.attempts} ${event.outcome.code}; kept, next attempt in ${(inMs / 1000).toFixed(1)} s`)
      } else if (verdict.kind === 'dead') {
        this.note('connector', `outbox: ${event.api} parked as dead (${event.outcome.code})`)
      } else if (verdict.kind === 'delivered' && event.attempts > 1) {
        this.note('connector', `outbox: ${event.api} delivered on attempt ${event.attempts}`)
      }
    }
  }

  /** Wraps an SDK transport so each checkout → connector call lands on the timeline. */
  transport(inner: Transport): Transport {
    return async (req) => {
      const started = new Date().toISOString()
      const t0 = performance.now()
      const path = new URL(req.url).pathname
      const api = path.endsWith('/v1/redemptions') ? 'redeem' : path.endsWith('/v1/benefits/lookup') ? 'lookup' : path.endsWith('/v1/user-tokens') ? 'userTokens' : path
      const idempotencyKey = req.headers['idempotency-key'] ?? req.headers['Idempotency-Key']
      try {
        const res = await inner(req)
        let code = res.status === 200 ? 'OK' : ''
        let text = ''
        try {
          const body = JSON.parse(res.body) as { error?: { code?: string }; redeemable?: boolean; instance?: { status?: string } }
          if (body.error?.code) code = body.error.code
          else if (api === 'lookup') text = body.redeemable ? 'redeemable' : 'not redeemable'
          else if (api === 'redeem') text = `instance ${body.instance?.status ?? '?'}${res.headers['idempotent-replayed'] === 'true' ? ' (replayed)' : ''}`
        } catch {
          // not JSON: the status says enough
        }
        this.add({
          kind: 'call',
          at: started,
          from: 'checkout',
          to: 'connector',
          api,
          ...(idempotencyKey ? { id: idempotencyKey } : {}),
          status: String(res.status),
          code,
          durationMs: performance.now() - t0,
          text,
        })
        return res
      } catch (error) {
        this.add({
          kind: 'call',
          at: started,
          from: 'checkout',
          to: 'connector',
          api,
          status: 'ERR',
          code: (error as { kind?: string }).kind ?? 'network',
          durationMs: performance.now() - t0,
          text: (error as Error).message,
        })
        throw error
      }
    }
  }
}
