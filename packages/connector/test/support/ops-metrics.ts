/** Reads the Prometheus text format into `name{label="v",…}` → value, for assertions. */
export function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    series.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return series
}

/** The value of the one series whose name matches and whose labels include all of `labels`. */
export function metricValue(series: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const [key, value] of series) {
    const brace = key.indexOf('{')
    const metric = brace < 0 ? key : key.slice(0, brace)
    if (metric !== name) continue
    const text = brace < 0 ? '' : key.slice(brace)
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) return value
  }
  return undefined
}
