/**
 * Every error code the authorize and void documents list, classified for the saga.
 *
 * Authorize: the document says the call "validates OTP & payment_token" and lists two codes.
 * ERRPLT40034 is the validation failure (wrong OTP or bad token: the user may try another OTP);
 * ERRTRX40032 is a token that can no longer be claimed. On a *retried* authorize (a previous
 * attempt may have reached Prakerja) ERRTRX40032 may mean our own first attempt claimed it: the
 * saga treats that as ambiguous, not as failure (see the workflow).
 *
 * Void: every refusal other than "already voided" leaves an authorized purchase that we could not
 * undo: money moved and only a person (with Prakerja ops) can settle it, so they are needs-review.
 */
import type { DocumentedError } from '../http/errors';

export const PRAKERJA_AUTHORIZE_ERRORS: readonly DocumentedError[] = [
  {
    code: 'ERRPLT40034',
    httpStatus: 400,
    message: 'Token Payment tidak valid.',
    class: 'final',
    meaning: 'OTP or payment token rejected; no purchase recorded. The user may enter another OTP.',
  },
  {
    code: 'ERRTRX40032',
    httpStatus: 400,
    message: 'Token Payment tidak valid.',
    class: 'final',
    meaning:
      'Payment token cannot be claimed (already used or expired). On a retried attempt: possibly claimed by our own earlier attempt.',
  },
];

export const PRAKERJA_VOID_ERRORS: readonly DocumentedError[] = [
  {
    code: 'ERRVOD40001',
    httpStatus: 400,
    message: 'Kode transaksi tidak ditemukan.',
    class: 'needs-review',
    meaning: 'Prakerja does not know the transaction code we were given at authorize.',
  },
  {
    code: 'ERRPLT40028',
    httpStatus: 400,
    message: 'Transaksi sudah dibatalkan sebelumnya, silahkan hubungi tim ops prakerja.',
    class: 'already-done',
    meaning: 'Already voided: counts as voided.',
  },
  {
    code: 'ERRVOD40003',
    httpStatus: 400,
    message: 'Gagal dibatalkan. Sudah melewati batas waktu maksimal pembatalan.',
    class: 'needs-review',
    meaning: 'Past the void window: the purchase stands.',
  },
  {
    code: 'ERRVOD40004',
    httpStatus: 400,
    message: 'Gagal dibatalkan. Peserta sudah melakukan redeem untuk pelatihan ini.',
    class: 'needs-review',
    meaning: 'The participant already redeemed the training.',
  },
  {
    code: 'ERRVOD40005',
    httpStatus: 400,
    message: 'Gagal dibatalkan. Tanggal permintaan lebih besar dari 4 hari.',
    class: 'needs-review',
    meaning: 'Request date more than 4 days after reconciliation.',
  },
  {
    code: 'ERRPLT40401',
    httpStatus: 400,
    message: 'Transaksi tidak ditemukan.',
    class: 'needs-review',
    meaning: 'No transaction for this invoice code and transaction code.',
  },
  {
    code: 'ERRVOD40008',
    httpStatus: 400,
    message:
      'Gagal dibatalkan. Laporan penyelesaian pelatihan untuk transaksi ini sudah validasi sebelumnya.',
    class: 'needs-review',
    meaning: 'Training completion already validated.',
  },
  {
    code: 'ERRVOD40009',
    httpStatus: 400,
    message: 'Gagal dibatalkan. Sudah dibayarkan ke digital platform untuk transaksi ini.',
    class: 'needs-review',
    meaning: 'Prakerja already paid the platform for this transaction.',
  },
  {
    code: 'ERRVOD40010',
    httpStatus: 400,
    message: 'Transaksi sudah lebih dari 2 hari, silahkan hubungi tim ops prakerja.',
    class: 'needs-review',
    meaning: 'More than 2 days since purchase.',
  },
];

export function findDocumentedError(
  table: readonly DocumentedError[],
  code: string,
): DocumentedError | undefined {
  return table.find((e) => e.code === code);
}
