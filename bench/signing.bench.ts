/**
 * Sign and verify rates of the two signing engines behind @benefitkit/shared/signing
 * (node-rsa with pkcs1-sha256, node:crypto KeyObjects) against raw node:crypto, plus
 * the cost of parsing the key on every call.
 *
 *   node --conditions=source --import tsx bench/signing.bench.ts [--json] [--rounds 5] [--seconds 1.5] [--warmup 0.5]
 *
 * Progress goes to stderr; the table (or, with --json, one JSON document) to stdout.
 * Cases of one operation take turns in 100 ms slices, and rates are also counted per
 * CPU second, so the ratios hold on a busy machine.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import {
  buildSignContent,
  generateRsaKeyPair,
  loadPrivateKey,
  loadPublicKey,
  signContent,
  verifyContent,
} from '@benefitkit/shared/signing'

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '1.5' },
    warmup: { type: 'string', default: '0.5' },
  },
})
const ROUNDS = Math.max(1, Number(args.rounds))
const ROUND_MS = Math.max(50, Number(args.seconds) * 1000)
const WARMUP_MS = Math.max(0, Number(args.warmup) * 1000)

function progress(line: string): void {
  process.stderr.write(`${line}\n`)
}

/* ------------------------------------------------------------- the payload */

/** A typical issueBenefit answer: one instance with a code, about 300 bytes. */
const ANSWER_BODY = JSON.stringify({
  success: true,
  resultCode: 'SUCCESS',
  resultMessage: 'success',
  benefitDetails: [
    {
      benefitInstanceId: 'INST-20261124-0001',
      benefitTemplateId: 'tpl-coffee-10',
      status: 'ACTIVATED',
      activateTime: '2026-11-24T08:00:00.000+08:00',
      expireTime: '2026-12-24T08:00:00.000+08:00',
      benefitCode: 'BK7Q-2M4X-9PLA',
    },
  ],
})
const content = buildSignContent({
  method: 'POST',
  path: '/isv/benefit/issue',
  clientId: 'SANDBOX_5YB1234567890',
  time: '2026-11-24T08:00:00.123+08:00',
  body: ANSWER_BODY,
})

/* ---------------------------------------------------------------- the keys */

const pair = generateRsaKeyPair()
const engines = {
  'node-rsa': { privateKey: loadPrivateKey(pair.privateKeyBase64, { engine: 'node-rsa' }), publicKey: loadPublicKey(pair.publicKeyBase64, { engine: 'node-rsa' }) },
  'node-crypto': { privateKey: loadPrivateKey(pair.privateKeyBase64, { engine: 'node-crypto' }), publicKey: loadPublicKey(pair.publicKeyBase64, { engine: 'node-crypto' }) },
}
const privateDer = Buffer.from(pair.privateKeyBase64, 'base64')
const publicDer = Buffer.from(pair.publicKeyBase64, 'base64')
const rawPrivate: KeyObject = createPrivateKey({ key: privateDer, format: 'der', type: 'pkcs8' })
const rawPublic: KeyObject = createPublicKey({ key: publicDer, format: 'der', type: 'spki' })
const signature = sign('sha256', content, rawPrivate)

// Measure only correct work: PKCS#1 v1.5 is deterministic, so every signer must
// produce the same bytes, and every verifier must accept them and refuse a flipped bit.
for (const [name, engine] of Object.entries(engines)) {
  if (!engine.privateKey.sign(content).equals(signature)) throw new Error(`${name} signs differently from node:crypto`)
  if (!engine.publicKey.verify(content, signature)) throw new Error(`${name} does not verify node:crypto's signature`)
  const flipped = Buffer.from(signature)
  flipped[0] = flipped[0]! ^ 1
  if (engine.publicKey.verify(content, flipped)) throw new Error(`${name} accepts a wrong signature`)
  if (!verifyContent(content, signContent(content, engine.privateKey), engine.publicKey)) throw new Error(`${name} round trip fails`)
}

/* ------------------------------------------------------------------ cases */

interface Case {
  op: 'sign' | 'verify'
  impl: string
  fn: () => unknown
}

const cases: Case[] = [
  { op: 'sign', impl: 'node-rsa engine (pkcs1-sha256)', fn: () => engines['node-rsa'].privateKey.sign(content) },
  { op: 'sign', impl: 'node-crypto engine (KeyObject)', fn: () => engines['node-crypto'].privateKey.sign(content) },
  { op: 'sign', impl: 'raw node:crypto sign(KeyObject)', fn: () => sign('sha256', content, rawPrivate) },
  {
    op: 'sign',
    impl: 'raw createPrivateKey per call + sign',
    fn: () => sign('sha256', content, createPrivateKey({ key: privateDer, format: 'der', type: 'pkcs8' })),
  },
  { op: 'verify', impl: 'node-rsa engine (pkcs1-sha256)', fn: () => engines['node-rsa'].publicKey.verify(content, signature) },
  { op: 'verify', impl: 'node-crypto engine (KeyObject)', fn: () => engines['node-crypto'].publicKey.verify(content, signature) },
  { op: 'verify', impl: 'raw node:crypto verify(KeyObject)', fn: () => verify('sha256', content, rawPublic, signature) },
  {
    op: 'verify',
    impl: 'raw createPublicKey per call + verify',
    fn: () => verify('sha256', content, createPublicKey({ key: publicDer, format: 'der', type: 'spki' }), signature),
  },
]

let sink = 0
function consume(value: unknown): void {
  sink ^= value instanceof Uint8Array ? value[0]! : value ? 1 : 0
}

interface Sample {
  ops: number
  wallMs: number
  cpuMs: number
}

/** Runs `fn` for at least `ms` milliseconds of wall time; counts wall and process CPU time. */
function runFor(fn: () => unknown, ms: number): Sample {
  let ops = 0
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  let elapsed = 0
  do {
    consume(fn())
    ops++
    elapsed = performance.now() - start
  } while (elapsed < ms)
  const cpu = process.cpuUsage(cpuStart)
  return { ops, wallMs: elapsed, cpuMs: (cpu.user + cpu.system) / 1000 }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/* -------------------------------------------------------------------- run */

const cpu = cpus()
const meta = {
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cpus: cpu.length,
  cpuModel: cpu[0]?.model.trim() ?? 'unknown',
  key: 'RSA-2048, SHA256withRSA (PKCS#1 v1.5)',
  bodyBytes: Buffer.byteLength(ANSWER_BODY),
  signContentBytes: content.length,
  rounds: ROUNDS,
  roundSeconds: ROUND_MS / 1000,
  warmupSeconds: WARMUP_MS / 1000,
  /** 1-minute load average at the start: above the core count, expect wide spreads. */
  loadAverage: loadavg()[0]!.toFixed(2),
}

progress(`signing bench: ${meta.key}, ${meta.bodyBytes}-byte issueBenefit answer (${meta.signContentBytes} bytes signed)`)
progress(`${meta.node} on ${meta.platform}, ${meta.cpus} × ${meta.cpuModel}; ${ROUNDS} rounds × ${meta.roundSeconds} s per case after ${meta.warmupSeconds} s warm-up`)

for (const c of cases) {
  const w = runFor(c.fn, WARMUP_MS)
  progress(`  warm-up  ${c.op.padEnd(6)} ${c.impl.padEnd(40)} ${Math.round((w.ops * 1000) / w.wallMs).toLocaleString('en-US').padStart(9)} ops/s`)
}

// Within a round, the cases of one operation take turns in short slices until each
// has run ROUND_MS, so a noisy neighbour (the machine has 2 cores and is shared)
// slows all of them alike and the ratios stay fair. Rates are counted two ways:
// per wall-clock second, and per CPU second of this process (robust to contention).
const SLICE_MS = Math.min(100, ROUND_MS)
const samples = new Map<Case, Array<{ wall: number; cpu: number }>>(cases.map((c) => [c, []]))
for (let round = 1; round <= ROUNDS; round++) {
  for (const op of ['sign', 'verify'] as const) {
    const group = cases.filter((c) => c.op === op)
    const totals = new Map<Case, Sample>(group.map((c) => [c, { ops: 0, wallMs: 0, cpuMs: 0 }]))
    while (group.some((c) => totals.get(c)!.wallMs < ROUND_MS)) {
      for (const c of group) {
        const t = totals.get(c)!
        if (t.wallMs >= ROUND_MS) continue
        const slice = runFor(c.fn, SLICE_MS)
        t.ops += slice.ops
        t.wallMs += slice.wallMs
        t.cpuMs += slice.cpuMs
      }
    }
    for (const c of group) {
      const t = totals.get(c)!
      const wall = (t.ops * 1000) / t.wallMs
      const cpu = (t.ops * 1000) / Math.max(t.cpuMs, 1e-3)
      samples.get(c)!.push({ wall, cpu })
      const fmtRate = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9)
      progress(`  round ${round}/${ROUNDS}  ${c.op.padEnd(6)} ${c.impl.padEnd(40)} ${fmtRate(wall)} ops/s  ${fmtRate(cpu)} ops/CPU-s`)
    }
  }
}

const results = cases.map((c) => {
  const rounds = samples.get(c)!
  const wall = rounds.map((r) => r.wall)
  const med = median(wall)
  const min = Math.min(...wall)
  const max = Math.max(...wall)
  const cpuMed = median(rounds.map((r) => r.cpu))
  return {
    op: c.op,
    impl: c.impl,
    medianOpsPerSec: Math.round(med),
    minOpsPerSec: Math.round(min),
    maxOpsPerSec: Math.round(max),
    spreadPct: Number((((max - min) / med) * 100).toFixed(1)),
    microsPerOp: Number((1e6 / med).toFixed(1)),
    medianOpsPerCpuSec: Math.round(cpuMed),
    cpuMicrosPerOp: Number((1e6 / cpuMed).toFixed(1)),
    rounds: wall.map((r) => Math.round(r)),
  }
})

function rate(op: Case['op'], implPrefix: string, per: 'wall' | 'cpu' = 'wall'): number {
  const found = results.find((r) => r.op === op && r.impl.startsWith(implPrefix))
  if (!found) throw new Error(`no result for ${op} ${implPrefix}`)
  return per === 'wall' ? found.medianOpsPerSec : found.medianOpsPerCpuSec
}

const ratios = {
  /** node-rsa rate ÷ node-crypto rate: below 1 means node-rsa is slower. */
  signNodeRsaOverNodeCrypto: Number((rate('sign', 'node-rsa') / rate('sign', 'node-crypto')).toFixed(3)),
  verifyNodeRsaOverNodeCrypto: Number((rate('verify', 'node-rsa') / rate('verify', 'node-crypto')).toFixed(3)),
  /** The node-crypto engine's overhead over raw node:crypto (1 = none). */
  signEngineOverRaw: Number((rate('sign', 'node-crypto') / rate('sign', 'raw node:crypto')).toFixed(3)),
  verifyEngineOverRaw: Number((rate('verify', 'node-crypto') / rate('verify', 'raw node:crypto')).toFixed(3)),
  /** Parsing the key on every call ÷ reusing a KeyObject. */
  signParsePerCallOverReused: Number((rate('sign', 'raw createPrivateKey') / rate('sign', 'raw node:crypto')).toFixed(3)),
  verifyParsePerCallOverReused: Number((rate('verify', 'raw createPublicKey') / rate('verify', 'raw node:crypto')).toFixed(3)),
  /** The same two headline ratios per CPU second: what each operation costs, whatever the machine's load. */
  signNodeRsaOverNodeCryptoCpu: Number((rate('sign', 'node-rsa', 'cpu') / rate('sign', 'node-crypto', 'cpu')).toFixed(3)),
  verifyNodeRsaOverNodeCryptoCpu: Number((rate('verify', 'node-rsa', 'cpu') / rate('verify', 'node-crypto', 'cpu')).toFixed(3)),
}
/** Share of the node:crypto sign rate lost by using node-rsa (the 10 % threshold), wall clock and per CPU second. */
const nodeRsaSignCostPct = Number(((1 - ratios.signNodeRsaOverNodeCrypto) * 100).toFixed(1))
const nodeRsaSignCostPctCpu = Number(((1 - ratios.signNodeRsaOverNodeCryptoCpu) * 100).toFixed(1))
const busy = Number(meta.loadAverage) > meta.cpus

if (args.json) {
  process.stdout.write(`${JSON.stringify({ meta, results, ratios, nodeRsaSignCostPct, nodeRsaSignCostPctCpu }, null, 2)}\n`)
} else {
  const fmt = (n: number) => n.toLocaleString('en-US')
  const versus = (ratio: number) =>
    Math.abs(ratio - 1) < 0.05 ? 'on par' : ratio < 1 ? `${(1 / ratio).toFixed(2)}× slower` : `${ratio.toFixed(2)}× faster`
  const rows = [
    ['op', 'implementation', 'ops/s median', 'min', 'max', 'spread', 'µs/op', 'ops/CPU-s', 'CPU µs/op'],
    ...results.map((r) => [
      r.op, r.impl, fmt(r.medianOpsPerSec), fmt(r.minOpsPerSec), fmt(r.maxOpsPerSec), `${r.spreadPct} %`, String(r.microsPerOp),
      fmt(r.medianOpsPerCpuSec), String(r.cpuMicrosPerOp),
    ]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  const line = (row: string[]) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')
  const out = [
    '',
    `signing bench — ${meta.key}, ${meta.bodyBytes}-byte issueBenefit answer, ${meta.signContentBytes} bytes signed`,
    `${meta.node}, ${meta.platform}, ${meta.cpus} × ${meta.cpuModel}; median of ${ROUNDS} rounds × ${meta.roundSeconds} s; load average ${meta.loadAverage}`,
    '',
    line(rows[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1, 5).map(line),
    ...rows.slice(5).map(line),
    '',
    `sign    node-rsa / node-crypto = ${ratios.signNodeRsaOverNodeCrypto}  (node-rsa ${versus(ratios.signNodeRsaOverNodeCrypto)}; it would cost ${nodeRsaSignCostPct} % of the sign rate)`,
    `verify  node-rsa / node-crypto = ${ratios.verifyNodeRsaOverNodeCrypto}  (node-rsa ${versus(ratios.verifyNodeRsaOverNodeCrypto)})`,
    `per CPU second: sign ${ratios.signNodeRsaOverNodeCryptoCpu}, verify ${ratios.verifyNodeRsaOverNodeCryptoCpu}`,
    `engine overhead over raw node:crypto: sign ${ratios.signEngineOverRaw}, verify ${ratios.verifyEngineOverRaw}`,
    `key parsed on every call / reused KeyObject: sign ${ratios.signParsePerCallOverReused}, verify ${ratios.verifyParsePerCallOverReused}`,
    `verdict: node-rsa costs ${nodeRsaSignCostPct} % of the sign rate by the clock, ${nodeRsaSignCostPctCpu} % per CPU second` +
      (busy ? ` (the machine was busy: load ${meta.loadAverage} on ${meta.cpus} cores, trust the CPU figure)` : '') +
      (Math.max(busy ? nodeRsaSignCostPctCpu : nodeRsaSignCostPct, 0) > 10
        ? ' → over the 10 % threshold; node-crypto stays the default engine.'
        : ' → within the 10 % threshold (node-rsa 2 signs through node:crypto); node-crypto stays the default, one dependency fewer on the hot path.'),
    '',
  ]
  process.stdout.write(out.join('\n'))
}
if (sink === -1) progress('unreachable') // keeps `sink` observable so no call is optimised away
