/**
 * Where the codec key comes from.
 *
 * Production: PAYSAGA_CODEC_KEY (base64 of 32 random bytes) and PAYSAGA_CODEC_KEY_ID; keys retired
 * by a rotation stay decodable through PAYSAGA_CODEC_PREVIOUS_KEYS ("id:base64,id:base64").
 * Development: with no key set, a key is generated once into <data dir>/codec-key.json (mode 0600,
 * git-ignored) and reused by every process of the local stack, so histories stay readable across
 * restarts. With NODE_ENV=production a missing key is an error: a generated key there would make
 * histories unreadable on the next machine.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodecKeys } from './codec';

export interface CodecKeyEnv {
  PAYSAGA_CODEC_KEY?: string;
  PAYSAGA_CODEC_KEY_ID?: string;
  PAYSAGA_CODEC_PREVIOUS_KEYS?: string;
  NODE_ENV?: string;
}

export function loadCodecKeys(env: CodecKeyEnv, dataDir: string): CodecKeys & { source: string } {
  const keys = new Map<string, Buffer>();
  for (const entry of (env.PAYSAGA_CODEC_PREVIOUS_KEYS ?? '').split(',').filter((e) => e.trim() !== '')) {
    const [id, b64] = entry.split(':');
    if (!id || !b64)
      throw new Error('PAYSAGA_CODEC_PREVIOUS_KEYS: expected "id:base64" entries separated by commas');
    keys.set(id.trim(), decodeKey(b64.trim(), `PAYSAGA_CODEC_PREVIOUS_KEYS (${id})`));
  }
  if (env.PAYSAGA_CODEC_KEY) {
    const currentKeyId = env.PAYSAGA_CODEC_KEY_ID ?? 'k1';
    keys.set(currentKeyId, decodeKey(env.PAYSAGA_CODEC_KEY, 'PAYSAGA_CODEC_KEY'));
    return { currentKeyId, keys, source: 'PAYSAGA_CODEC_KEY' };
  }
  if (env.NODE_ENV === 'production') {
    throw new Error('PAYSAGA_CODEC_KEY is required when NODE_ENV=production (base64 of 32 random bytes)');
  }
  const file = join(dataDir, 'codec-key.json');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const generated = {
      keyId: `dev-${randomBytes(4).toString('hex')}`,
      key: randomBytes(32).toString('base64'),
    };
    // Write aside, then link into place: link fails if another process of the stack won the
    // race, and nobody ever reads a half-written key file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(generated), { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  chmodSync(file, 0o600);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { keyId: string; key: string };
  keys.set(stored.keyId, decodeKey(stored.key, file));
  return { currentKeyId: stored.keyId, keys, source: file };
}

function decodeKey(b64: string, name: string): Buffer {
  const key = Buffer.from(b64, 'base64');
  if (key.length !== 32) throw new Error(`${name}: expected base64 of 32 bytes, got ${key.length} bytes`);
  return key;
}
