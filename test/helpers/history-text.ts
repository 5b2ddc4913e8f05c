/**
 * Every string and byte in a raw (undecoded) history, as one text, so a test can search it for
 * secrets. Walks the object itself: JSON.stringify would turn Buffers into number arrays before
 * any replacer saw them, and a search for a secret would pass without looking.
 */
export function historyText(value: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if (v === null || v === undefined) return;
    if (typeof v === 'string') parts.push(v);
    else if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('latin1'));
    else if (typeof v === 'object') {
      if (seen.has(v)) return;
      seen.add(v);
      for (const child of Object.values(v)) walk(child);
    } else parts.push(String(v));
  };
  walk(value);
  return parts.join('\n');
}
