import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

/**
 * Reads the `.cpuprofile` files `node --cpu-prof` wrote into `dir` and sums
 * self time per function and per place (our sources, a dependency, node
 * internals, GC, idle), for `pnpm bench --profile`.
 */

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  file: string
  totalMs: number
  byFunction: Array<{ name: string; ms: number; pct: number }>
  byPlace: Array<{ place: string; ms: number; pct: number }>
}

function placeOf(url: string, name: string, root: string): string {
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return name
  if (!url) return '(native)'
  if (url.startsWith('node:')) return 'node internals'
  const path = url.replace(/^file:\/\//, '')
  const dep = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (dep) return `dependency ${dep[1]}`
  const ours = /packages\/([^/]+)\/src\/([^/]+)/.exec(path)
  if (ours) return `@benefitkit/${ours[1]} ${ours[2]}`
  return relative(root, path)
}

export function summarizeProfiles(dir: string, root: string, top = 20): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((file) => summarizeProfile(join(dir, file), root, top))
}

export function summarizeProfile(file: string, root: string, top = 20): ProfileSummary {
  {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
    const self = new Map<number, number>()
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
    const byFunction = new Map<string, number>()
    const byPlace = new Map<string, number>()
    let total = 0
    for (const [id, micros] of self) {
      const frame = nodes.get(id)!.callFrame
      const name = frame.functionName || '(anonymous)'
      const where = frame.url ? `${frame.url.replace(/^file:\/\//, '').replace(`${root}/`, '')}:${frame.lineNumber + 1}` : ''
      const key = where ? `${name} ${where}` : name
      byFunction.set(key, (byFunction.get(key) ?? 0) + micros)
      const place = placeOf(frame.url, name, root)
      byPlace.set(place, (byPlace.get(place) ?? 0) + micros)
      total += micros
    }
    const rank = (map: Map<string, number>) =>
      [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => ({ k, ms: v / 1000, pct: (v / total) * 100 }))
    return {
      file,
      totalMs: total / 1000,
      byFunction: rank(byFunction).map(({ k, ms, pct }) => ({ name: k, ms, pct })),
      byPlace: rank(byPlace).map(({ k, ms, pct }) => ({ place: k, ms, pct })),
    }
  }
}
