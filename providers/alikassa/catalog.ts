/**
 * Every AliKassa service and bank code of the document ("Payment solution ID 2"), as validated
 * enums. A customer_code is only meaningful inside its service, so the pair is checked before any
 * request is sent: a QRIS code on the virtual-account service is refused here, not by AliKassa.
 *
 * Payments (deposits, "Deposit Bank Codes"): four *_idr_hpp services, each with its own codes.
 * Payouts ("Payout Bank Codes"): the one service payment_card_idr. The document marks BSI (Bank
 * Syariah Indonesia) "under maintenance": it is listed (so the code is recognised) but refused
 * with that reason, because a payout sent to a bank in maintenance is at best refused and at worst
 * left hanging with the money in flight.
 */
import { z } from 'zod';

/** Input refused before anything was sent to AliKassa: nothing happened; repeating it cannot help. */
export class AliKassaInputError extends Error {
  override readonly name = 'AliKassaInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`AliKassa request refused before sending: ${field}: ${message}`);
  }
}

export const ALIKASSA_PAYMENT_BANKS = {
  online_banking_idr_hpp: {
    BCA: 'Bank Central Asia',
    BNI: 'Bank Negara Indonesia',
    BRI: 'Bank Rakyat Indonesia',
    CIMBN: 'CIMB Niaga',
    MDR: 'Mandiri Bank',
    PMTB: 'Permata Bank',
    PANIN: 'Panin Bank',
  },
  qr_code_idr_hpp: {
    QRIS: 'QRIS',
    DANAQRIS: 'DANA QRIS',
    GOPAYQRIS: 'GO PAY QRIS',
    LINKAJAQRIS: 'LINK AJA QRIS',
    OVOQRIS: 'OVO QRIS',
    SHOPEEQRIS: 'Shopee Pay QRIS',
  },
  virtual_account_idr_hpp: {
    BCAVA: 'BCA Virtual Account',
    BNIVA: 'BNI Virtual Account',
    BRIVA: 'BRI Virtual Account',
    CIMBNVA: 'CIMBN Virtual Account',
    MBBIVA: 'MBBI Virtual Account',
    MDRVA: 'MDR Virtual Account',
    PMTBVA: 'PMTB Virtual Account',
    PANINVA: 'PANIN Virtual Account',
    BDIVA: 'BDI Virtual Account',
  },
  local_bank_transfer_idr_hpp: {
    BCALBT: 'BCA Bank Local Bank Transfer',
    BNILBT: 'BNI Bank (Local Bank Transfer)',
    BRILBT: 'BRI Bank (Local Bank Transfer)',
    MDRLBT: 'Mandiri Bank (Local Bank Transfer)',
  },
} as const;

export type AliKassaPaymentService = keyof typeof ALIKASSA_PAYMENT_BANKS;
export type AliKassaPaymentCode = {
  [S in AliKassaPaymentService]: keyof (typeof ALIKASSA_PAYMENT_BANKS)[S];
}[AliKassaPaymentService];

export const ALIKASSA_PAYMENT_SERVICES = Object.keys(ALIKASSA_PAYMENT_BANKS) as [
  AliKassaPaymentService,
  ...AliKassaPaymentService[],
];
export const AliKassaPaymentServiceSchema = z.enum(ALIKASSA_PAYMENT_SERVICES);

export const ALIKASSA_PAYOUT_SERVICE = 'payment_card_idr';

export const ALIKASSA_PAYOUT_BANKS = {
  PMTB: 'Permata Bank',
  BCASB: 'BCA Syariah Bank (enterprise)',
  BMI: 'Bank Mega Indonesia',
  BRISB: 'BRI Syariah Bank (enterprise)',
  BSM: 'Bank Sinarmas',
  BTN: 'Bank Tabungan Negara',
  BTPN: 'Bank Tabungan Pensiunan Nasional',
  OCBCN: 'Bank OCBC NISP',
  MDRSB: 'Mandiri Syariah Bank',
  PNBN: 'PT. Bank Pan Indonesia',
  UOBI: 'UOB Indonesia',
  BSI: 'Bank Syariah Indonesia (under maintenance)',
  PTBC: 'PT. Bank Commonwealth',
  HSBCI: 'HSBC Indonesia',
  PANIN: 'Panin Bank',
  DBSI: 'BANK DBS',
  HANAI: 'Hanabank Indonesia',
  MNC: 'Bank MNC Internasional',
  BKAL: 'Bank Kalteng',
  ALLOB: 'ALLO BANK',
  SEABANK: 'SeaBank',
  SUMUT: 'Bank Sumut',
  BMLI: 'Bank Muamalat',
  BCAD: 'BCA Digital',
  BJB: 'Bank Jabar (BJB)',
} as const;

export type AliKassaPayoutCode = keyof typeof ALIKASSA_PAYOUT_BANKS;
export const ALIKASSA_PAYOUT_CODES = Object.keys(ALIKASSA_PAYOUT_BANKS) as [
  AliKassaPayoutCode,
  ...AliKassaPayoutCode[],
];
export const AliKassaPayoutCodeSchema = z.enum(ALIKASSA_PAYOUT_CODES);

/** Payout banks the document lists but marks unavailable, with the reason given to the caller. */
export const ALIKASSA_UNAVAILABLE_PAYOUT_BANKS: Readonly<Partial<Record<AliKassaPayoutCode, string>>> = {
  BSI: 'Bank Syariah Indonesia (BSI) is under maintenance at AliKassa; payouts to it are not sent',
};

/** The service's code, or AliKassaInputError when the service is unknown or the code is not one of its own. */
export function checkPaymentCode(service: string, customerCode: string): AliKassaPaymentCode {
  const svc = AliKassaPaymentServiceSchema.safeParse(service);
  if (!svc.success)
    throw new AliKassaInputError(
      'service',
      `unknown payment service ${JSON.stringify(service)} (one of ${ALIKASSA_PAYMENT_SERVICES.join(', ')})`,
    );
  const codes: Record<string, string> = ALIKASSA_PAYMENT_BANKS[svc.data];
  if (!Object.hasOwn(codes, customerCode)) {
    const owner = ALIKASSA_PAYMENT_SERVICES.find((s) =>
      Object.hasOwn(ALIKASSA_PAYMENT_BANKS[s] as Record<string, string>, customerCode),
    );
    throw new AliKassaInputError(
      'customer_code',
      `${JSON.stringify(customerCode)} is not a code of ${svc.data}` +
        (owner ? ` (it belongs to ${owner})` : '') +
        ` (one of ${Object.keys(codes).join(', ')})`,
    );
  }
  return customerCode as AliKassaPaymentCode;
}

/** The payout bank code, or AliKassaInputError when it is unknown or unavailable (BSI). */
export function checkPayoutCode(customerCode: string): AliKassaPayoutCode {
  const code = AliKassaPayoutCodeSchema.safeParse(customerCode);
  if (!code.success)
    throw new AliKassaInputError(
      'customer_code',
      `${JSON.stringify(customerCode)} is not a payout bank code of ${ALIKASSA_PAYOUT_SERVICE}`,
    );
  const unavailable = ALIKASSA_UNAVAILABLE_PAYOUT_BANKS[code.data];
  if (unavailable) throw new AliKassaInputError('customer_code', unavailable);
  return code.data;
}
