/**
 * AES-256-GCM payload codec: every payload the worker and clients send to Temporal (workflow
 * inputs with payment tokens, update arguments with OTPs, activity results with personal data)
 * is encrypted before it leaves the process. Temporal stores only ciphertext; the Web UI shows
 * plaintext only through the gateway's codec endpoint, to an operator allowed to call it.
 *
 * Each payload gets a fresh 12-byte IV; the key id travels in the payload metadata so keys can be
 * rotated: new payloads use the current key, old histories still decode with the previous ones.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ENCODING = 'binary/encrypted';
const METADATA_ENCODING_KEY = 'encoding';
const METADATA_KEY_ID = 'encryption-key-id';
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

export interface CodecKeys {
  currentKeyId: string;
  /** key id -> 32-byte key; includes the current key. */
  keys: Map<string, Buffer>;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly codecKeys: CodecKeys) {
    for (const [id, key] of codecKeys.keys) {
      if (key.length !== 32) throw new Error(`codec key "${id}" must be 32 bytes, got ${key.length}`);
    }
    if (!codecKeys.keys.has(codecKeys.currentKeyId))
      throw new Error(`codec key "${codecKeys.currentKeyId}" is not loaded`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.codecKeys.currentKeyId;
    const key = this.codecKeys.keys.get(keyId)!;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_LENGTH);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCODING),
          [METADATA_KEY_ID]: Buffer.from(keyId),
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[METADATA_KEY_ID];
      const keyId = keyIdBytes ? Buffer.from(keyIdBytes).toString() : '';
      const key = this.codecKeys.keys.get(keyId);
      if (!key) throw new Error(`payload encrypted with unknown codec key "${keyId}"`);
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_LENGTH + TAG_LENGTH) throw new Error('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_LENGTH));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
      const plain = Buffer.concat([
        decipher.update(sealed.subarray(IV_LENGTH, sealed.length - TAG_LENGTH)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}
