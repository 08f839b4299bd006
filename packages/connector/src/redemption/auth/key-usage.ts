/**
 * Keeps `api_keys.last_used_at` roughly current without a write per request:
 * at most one write per key per `intervalMs`, in the background. It is
 * information for `benefitkit apikeys list`, so a lost write costs nothing.
 */
export function throttledKeyUsage(
  write: (keyId: string, now: number) => Promise<void>,
  onError: (error: unknown) => void,
  intervalMs = 60_000,
): (keyId: string, now: number) => void {
  const lastWritten = new Map<string, number>()
  return (keyId, now) => {
    const last = lastWritten.get(keyId)
    if (last !== undefined && now - last < intervalMs && now >= last) return
    lastWritten.set(keyId, now)
    write(keyId, now).catch(onError)
  }
}
