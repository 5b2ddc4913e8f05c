/**
 * Every text the PPOB simulator answers with. 'request trx diterima' and 'trx sebelumnya
 * ditemukan' are the document's; 'produk tidak tersedia' and 'customer not found' are the wire
 * contract's; the ones marked "sandbox" are the simulator's own (the document shows no failure
 * example).
 */
export const MSG = {
  accepted: 'request trx diterima',
  previousFound: 'trx sebelumnya ditemukan',
  productUnavailable: 'produk tidak tersedia',
  customerNotFound: 'customer not found',
  inquirySuccess: 'inquiry sukses', // sandbox
  inquiryNotFound: 'inquiry tidak ditemukan', // sandbox: unknown inq_id, or an inquiry that failed
  billAlreadyPaid: 'tagihan sudah dibayar', // sandbox: the inquiry's payment succeeded
  billPaymentInProgress: 'pembayaran tagihan sedang diproses', // sandbox: another refid is paying it
  pending: 'trx sedang diproses', // sandbox
  success: 'trx sukses', // sandbox
  failed: 'trx gagal', // sandbox
  unknownUser: 'unknown user',
  invalidSignature: 'invalid signature',
  datetimeOutOfRange: 'datetime out of range',
  injectedFault: 'service unavailable (sandbox fault)', // sandbox
} as const;
