/**
 * AesGcmPayloadCodec (encryption of every Temporal payload) and loadCodecKeys (where keys come from).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, type CodecKeys } from '../../workers/codec';
import { loadCodecKeys } from '../../workers/codec-keys';

const PLAINTEXT = '{"paymentToken":"ptk_plaintext_marker_42","otp":"123456"}';

function jsonPayload(text = PLAINTEXT): Payload {
  return {
    metadata: { encoding: Buffer.from('json/plain'), messageType: Buffer.from('paysaga.Test') },
    data: Buffer.from(text),
  };
}

function keys(currentKeyId: string, entries: Record<string, Buffer>): CodecKeys {
  return { currentKeyId, keys: new Map(Object.entries(entries)) };
}

function text(b: Uint8Array | null | undefined): string {
  return Buffer.from(b ?? new Uint8Array()).toString('utf8');
}

function assertSamePayload(actual: Payload, expected: Payload): void {
  const actualMeta = Object.fromEntries(Object.entries(actual.metadata ?? {}).map(([k, v]) => [k, text(v)]));
  const expectedMeta = Object.fromEntries(
    Object.entries(expected.metadata ?? {}).map(([k, v]) => [k, text(v)]),
  );
  assert.deepEqual(actualMeta, expectedMeta);
  assert.ok(Buffer.from(actual.data ?? []).equals(Buffer.from(expected.data ?? [])), 'data differs');
}

const K1 = randomBytes(32);
const K2 = randomBytes(32);

describe('AesGcmPayloadCodec', () => {
  it('round-trips metadata and data', async () => {
    const codec = new AesGcmPayloadCodec(keys('k1', { k1: K1 }));
    const original = jsonPayload();
    const [encoded] = await codec.encode([original]);
    const [decoded] = await codec.decode([encoded!]);
    assertSamePayload(decoded!, original);
  });

  it('round-trips several payloads, including an empty one, in order', async () => {
    const codec = new AesGcmPayloadCodec(keys('k1', { k1: K1 }));
    const originals = [jsonPayload('"a"'), jsonPayload(''), jsonPayload('{"b":2}')];
    const decoded = await codec.decode(await codec.encode(originals));
    assert.equal(decoded.length, 3);
    decoded.forEach((p, i) => assertSamePayload(p, originals[i]!));
  });

  it('the encoded payload says binary/encrypted, names the key, and hides the plaintext', async () => {
    const codec = new AesGcmPayloadCodec(keys('k1', { k1: K1 }));
    const [encoded] = await codec.encode([jsonPayload()]);
    assert.equal(text(encoded!.metadata?.encoding), 'binary/encrypted');
    assert.equal(text(encoded!.metadata?.['encryption-key-id']), 'k1');
    assert.equal(
      encoded!.metadata?.messageType,
      undefined,
      'original metadata must be inside the ciphertext',
    );
    const data = Buffer.from(encoded!.data ?? []);
    assert.ok(data.length > 0);
    for (const marker of ['ptk_plaintext_marker_42', '123456', 'json/plain', 'paysaga.Test']) {
      assert.equal(data.includes(Buffer.from(marker)), false, `ciphertext contains "${marker}"`);
    }
  });

  it('two encodings of the same payload differ (fresh IV)', async () => {
    const codec = new AesGcmPayloadCodec(keys('k1', { k1: K1 }));
    const [a] = await codec.encode([jsonPayload()]);
    const [b] = await codec.encode([jsonPayload()]);
    const da = Buffer.from(a!.data ?? []);
    const db = Buffer.from(b!.data ?? []);
    assert.equal(da.equals(db), false);
    assert.equal(da.subarray(0, 12).equals(db.subarray(0, 12)), false, 'IVs must differ');
  });

  it('a tampered ciphertext byte fails to decode', async () => {
    const codec = new AesGcmPayloadCodec(keys('k1', { k1: K1 }));
    const [encoded] = await codec.encode([jsonPayload()]);
    const sealed = Buffer.from(encoded!.data ?? []);
    // Flip one bit in the ciphertext (after the 12-byte IV, before the 16-byte tag), then in the tag and the IV.
    for (const index of [12 + 3, sealed.length - 1, 0]) {
      const tampered = Buffer.from(sealed);
      tampered[index] = tampered[index]! ^ 0x01;
      await assert.rejects(
        codec.decode([{ metadata: encoded!.metadata, data: tampered }]),
        /authenticate|unable|unsupported/i,
        `byte ${index} flipped must not decode`,
      );
    }
  });

  it('a truncated payload fails with a clear error', async () => {
    const codec = new AesGcmPayloadCodec(keys('k1', { k1: K1 }));
    const [encoded] = await codec.encode([jsonPayload()]);
    await assert.rejects(
      codec.decode([{ metadata: encoded!.metadata, data: Buffer.alloc(10) }]),
      /truncated/,
    );
  });

  it('after rotation, a codec with the old key id among its keys decodes old payloads', async () => {
    const before = new AesGcmPayloadCodec(keys('k1', { k1: K1 }));
    const [old] = await before.encode([jsonPayload()]);

    const rotated = new AesGcmPayloadCodec(keys('k2', { k1: K1, k2: K2 }));
    const [decodedOld] = await rotated.decode([old!]);
    assertSamePayload(decodedOld!, jsonPayload());

    const [fresh] = await rotated.encode([jsonPayload()]);
    assert.equal(text(fresh!.metadata?.['encryption-key-id']), 'k2', 'new payloads use the current key');
    const [decodedFresh] = await rotated.decode([fresh!]);
    assertSamePayload(decodedFresh!, jsonPayload());

    // The pre-rotation codec does not have k2.
    await assert.rejects(before.decode([fresh!]), /unknown codec key "k2"/);
  });

  it('the same key id with a different key does not decode', async () => {
    const [encoded] = await new AesGcmPayloadCodec(keys('k1', { k1: K1 })).encode([jsonPayload()]);
    await assert.rejects(new AesGcmPayloadCodec(keys('k1', { k1: K2 })).decode([encoded!]));
  });

  it('an unknown key id is a clear error naming the id', async () => {
    const [encoded] = await new AesGcmPayloadCodec(keys('gone-key', { 'gone-key': K1 })).encode([
      jsonPayload(),
    ]);
    const other = new AesGcmPayloadCodec(keys('k1', { k1: K1 }));
    await assert.rejects(other.decode([encoded!]), (err: Error) => {
      assert.match(err.message, /unknown codec key "gone-key"/);
      return true;
    });
  });

  it('payloads without the encrypted encoding pass through decode unchanged', async () => {
    const codec = new AesGcmPayloadCodec(keys('k1', { k1: K1 }));
    const plain = jsonPayload();
    const noMetadata: Payload = { data: Buffer.from('raw') };
    const binaryNull: Payload = { metadata: { encoding: Buffer.from('binary/null') } };
    const out = await codec.decode([plain, noMetadata, binaryNull]);
    assert.equal(out[0], plain);
    assert.equal(out[1], noMetadata);
    assert.equal(out[2], binaryNull);
    assertSamePayload(out[0]!, jsonPayload());
  });

  it('refuses a key that is not 32 bytes, and a current key id that is not loaded', () => {
    assert.throws(() => new AesGcmPayloadCodec(keys('k1', { k1: randomBytes(16) })), /"k1" must be 32 bytes/);
    assert.throws(() => new AesGcmPayloadCodec(keys('k9', { k1: K1 })), /"k9" is not loaded/);
  });
});

describe('loadCodecKeys', () => {
  function tempDir(): string {
    return mkdtempSync(join(tmpdir(), 'paysaga-codec-test-'));
  }

  it('uses PAYSAGA_CODEC_KEY and PAYSAGA_CODEC_KEY_ID from the environment', () => {
    const dir = tempDir();
    try {
      const loaded = loadCodecKeys(
        { PAYSAGA_CODEC_KEY: K1.toString('base64'), PAYSAGA_CODEC_KEY_ID: 'prod-7', NODE_ENV: 'production' },
        dir,
      );
      assert.equal(loaded.currentKeyId, 'prod-7');
      assert.ok(loaded.keys.get('prod-7')?.equals(K1));
      assert.equal(loaded.source, 'PAYSAGA_CODEC_KEY');
      assert.throws(() => statSync(join(dir, 'codec-key.json')), 'no dev key file when a key is given');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults the key id to k1 and loads previous keys for rotation', async () => {
    const dir = tempDir();
    try {
      const loaded = loadCodecKeys(
        {
          PAYSAGA_CODEC_KEY: K2.toString('base64'),
          PAYSAGA_CODEC_PREVIOUS_KEYS: `old-a:${K1.toString('base64')}, old-b:${randomBytes(32).toString('base64')}`,
        },
        dir,
      );
      assert.equal(loaded.currentKeyId, 'k1');
      assert.deepEqual([...loaded.keys.keys()].sort(), ['k1', 'old-a', 'old-b']);
      assert.ok(loaded.keys.get('old-a')?.equals(K1));

      const [old] = await new AesGcmPayloadCodec(keys('old-a', { 'old-a': K1 })).encode([jsonPayload()]);
      const [decoded] = await new AesGcmPayloadCodec(loaded).decode([old!]);
      assertSamePayload(decoded!, jsonPayload());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a wrong-length key is an error naming the variable (and not echoing the key)', () => {
    const dir = tempDir();
    const short = randomBytes(16).toString('base64');
    try {
      assert.throws(
        () => loadCodecKeys({ PAYSAGA_CODEC_KEY: short }, dir),
        (err: Error) => {
          assert.match(err.message, /PAYSAGA_CODEC_KEY/);
          assert.match(err.message, /32 bytes/);
          assert.ok(!err.message.includes(short), 'the key must not be echoed');
          return true;
        },
      );
      assert.throws(
        () =>
          loadCodecKeys(
            { PAYSAGA_CODEC_KEY: K1.toString('base64'), PAYSAGA_CODEC_PREVIOUS_KEYS: `old:${short}` },
            dir,
          ),
        /PAYSAGA_CODEC_PREVIOUS_KEYS \(old\)/,
      );
      assert.throws(
        () =>
          loadCodecKeys(
            { PAYSAGA_CODEC_KEY: K1.toString('base64'), PAYSAGA_CODEC_PREVIOUS_KEYS: 'nocolon' },
            dir,
          ),
        /PAYSAGA_CODEC_PREVIOUS_KEYS/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('NODE_ENV=production without a key is an error, and writes no key file', () => {
    const dir = tempDir();
    try {
      assert.throws(() => loadCodecKeys({ NODE_ENV: 'production' }, dir), /PAYSAGA_CODEC_KEY is required/);
      assert.throws(() => statSync(join(dir, 'codec-key.json')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dev mode generates <dir>/codec-key.json with mode 0600 and returns the same key on a second call', () => {
    const root = tempDir();
    const dir = join(root, 'data', 'nested'); // does not exist yet
    try {
      const first = loadCodecKeys({}, dir);
      const file = join(dir, 'codec-key.json');
      assert.equal(first.source, file);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { keyId: string; key: string };
      assert.equal(stored.keyId, first.currentKeyId);
      assert.match(first.currentKeyId, /^dev-[0-9a-f]{8}$/);
      const key = first.keys.get(first.currentKeyId);
      assert.equal(key?.length, 32);

      const second = loadCodecKeys({ NODE_ENV: 'development' }, dir);
      assert.equal(second.currentKeyId, first.currentKeyId);
      assert.ok(second.keys.get(second.currentKeyId)?.equals(key!));
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('dev mode tightens an existing key file to 0600 and reads it', () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'codec-key.json');
      writeFileSync(file, JSON.stringify({ keyId: 'dev-existing', key: K1.toString('base64') }), {
        mode: 0o644,
      });
      const loaded = loadCodecKeys({}, dir);
      assert.equal(loaded.currentKeyId, 'dev-existing');
      assert.ok(loaded.keys.get('dev-existing')?.equals(K1));
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
