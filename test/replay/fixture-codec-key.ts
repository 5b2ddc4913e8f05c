/**
 * The codec key the recorded replay histories were encrypted with. A test fixture, not a secret:
 * it protects nothing but these synthetic histories (no real OTP, token or person is in them).
 */
import type { CodecKeys } from '../../workers/codec';

export const REPLAY_FIXTURE_KEYS: CodecKeys = {
  currentKeyId: 'replay-fixture',
  keys: new Map([['replay-fixture', Buffer.from('cGF5c2FnYS1yZXBsYXktZml4dHVyZS1rZXktMzJieXQ=', 'base64')]]),
};
