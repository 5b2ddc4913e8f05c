/**
 * Every text the K-Link simulator answers with, in one place so the report, the tests and the
 * routes agree. Texts in the document are copied as written (its grammar included: "VA will be
 * success Created!"); the ones marked "sandbox" are not in the document, which shows no failure
 * examples except "refund existing".
 */

export const MSG = {
  loginSuccess: 'Login success', // sandbox: the login response was an image
  loginFailed: 'Email atau password salah', // sandbox
  unauthorized: 'Unauthorized: token invalid or expired', // sandbox
  notFound: 'Endpoint not found', // sandbox
  vaCreated: 'VA will be success Created!',
  saldoShown: 'Saldo berhasil ditampilkan!', // check_saldo; history reuses it, as the document does
  memberNotFound: 'Member not found', // sandbox
  insufficient: 'Saldo tidak mencukupi', // sandbox
  sameMember: 'Cannot transfer to the same account', // sandbox
  voucherUsed: 'Voucher already used', // sandbox
  refundInquiry: 'Apakah benar data yang akan direfund?',
  dataNotFound: 'data not found', // sandbox, in the style of "refund existing"
  paymentRequested: 'Payment Request has been success!', // section 3's text, reused for section 2
  bankCodeUnknown: 'bank_code tidak sesuai dengan list bank', // sandbox: the document's example is missing
  productCodeUnknown: 'product_code tidak sesuai dengan list bank', // sandbox
  injectedFault: 'Service unavailable (sandbox fault)', // sandbox
} as const;

export const transferDone = (from: string, to: string) => `Payment transfer ${from} to account ${to}!`;
export const voucherDone = (amount: number, idMember: string) =>
  `Insert Voucher Saldo ${amount} for ID Member ${idMember} Success!`;
export const payDone = (idOrder: string) => `Payment ID Order ${idOrder} Success!`;
export const orderExists = (idOrder: string) => `ID Order ${idOrder} already exists`; // sandbox
export const reconcileDone = (idOrder: string) => `Reconcile ID Order ${idOrder} Success!`;
export const orderNotFound = (idOrder: string) => `ID Order ${idOrder} not found`; // sandbox
export const refundDone = (idMember: string) => `success refund saldo for member ${idMember}!`;
export const refundExisting = (idTrans: number, idOrder: string, idMember: string, datetime: string) =>
  `refund existing, id_trans:${idTrans}, order_id:${idOrder}, member_id:${idMember}, datetime:${datetime}!`;
export const serviceOrderExists = (orderId: string) => `order_id ${orderId} already exists`; // sandbox
