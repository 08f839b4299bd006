import { execFileSync } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'

/** What the figures were measured on: they mean little without it. */
export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGb: number
  node: string
  platform: string
  /** 1, 5 and 15-minute load averages when the run started: above `cores`, other work shares the CPUs. */
  loadAverage: [number, number, number]
  commit: string
  date: string
}

export function describeMachine(repoRoot: string): MachineInfo {
  const cpu = cpus()
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    if (dirty.trim()) commit += ' (+ uncommitted changes)'
  } catch {
    // not a git checkout
  }
  const [one, five, fifteen] = loadavg()
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: [one!, five!, fifteen!].map((n) => Number(n.toFixed(2))) as [number, number, number],
    commit,
    date: new Date().toISOString(),
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export function progress(line: string): void {
  process.stderr.write(`${line}\n`)
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A fixed-width text table: first column left-aligned, the others right-aligned. */
export function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)))
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

export function markdownTable(rows: string[][]): string {
  const line = (row: string[]) => `| ${row.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`
  return [line(rows[0]!), `|${rows[0]!.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.slice(1).map(line)].join('\n')
}
