/**
 * AliKassa settings every process reads the same way, beside the credentials (which are in
 * common/provider-settings.ts): the hash of every signature, and the old name of the
 * notification key, refused with the new one named.
 */
import { z } from 'zod';
import { ALIKASSA_SIGN_HASHES, DEFAULT_ALIKASSA_SIGN_HASH } from './signature';

export const aliKassaSharedEnv = {
  /** Requests and notifications alike; see signature.ts for the default. */
  ALIKASSA_SIGN_HASH: z.enum(ALIKASSA_SIGN_HASHES).default(DEFAULT_ALIKASSA_SIGN_HASH),
  // This name once meant a key for a notification format AliKassa never sends (a POST with a
  // header signature). Kept, it would look configured while refusing every real notification.
  ALIKASSA_PUBLIC_KEY: z
    .undefined({
      error:
        'renamed ALIKASSA_NOTIFICATION_PUBLIC_KEY: the public.pem of AliKassa\'s "API certificate for notifications"',
    })
    .optional(),
};
