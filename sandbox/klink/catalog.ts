/**
 * K-Link's fixed data as the sandbox serves it: the banks a member gets K-Wallet VAs at, the
 * payment products of list_bank and list_bank_midtrans, and Midtrans' documented status codes.
 * Values are the document's where it has them; the rest is marked as the sandbox's own.
 */

/**
 * register_va's banks (the wire contract's six of the document's eight: 022 and 008 are left
 * out) with the first 8 digits of their VA numbers. The document's VAs are 16 digits, the last 8
 * being the same for every bank ("...00000058"), so: bank prefix + 8-digit member serial.
 */
export const KWALLET_VA_BANKS = [
  { bank_code: '011', prefix: '96289100' },
  { bank_code: '451', prefix: '99121429' },
  { bank_code: '002', prefix: '12483910' },
  { bank_code: '013', prefix: '86209100' },
  { bank_code: '014', prefix: '44905910' },
  { bank_code: '016', prefix: '78131910' },
] as const;

/** list_bank's row, field for field as the document's example (types included: bankacc and id are numbers). */
export interface ListBankRow {
  bankCode: string;
  bankDesc: string;
  bankDisplayNm: string;
  bank_pemilik: string;
  bankacc: number;
  cabang: string;
  charge_admin: string;
  charge_connectivity: string;
  id: number;
  img_url: string;
  install_12: string;
  install_6: string;
  is_installment: string;
  kategori: string;
  productCode: string;
  productName: string;
  status: string;
}

/**
 * Which of pay_service's three documented responses a product gets: a VA number to pay into,
 * a manual transfer to K-Link's account with a unique code added to the amount, or a redirect
 * to a card payment page ("multipayment").
 */
export type PayVariant = 'va' | 'manual' | 'card';

export interface BankProduct {
  variant: PayVariant;
  /** First digits of the VA numbers pay_service hands out for this product (va only). */
  vaPrefix?: string;
  row: ListBankRow;
}

const IMG = 'https://www.k-net.co.id/asset/images/payment_img';

function row(
  fields: Partial<ListBankRow> & Pick<ListBankRow, 'bankCode' | 'id' | 'productCode'>,
): ListBankRow {
  return {
    bankDesc: '',
    bankDisplayNm: '',
    bank_pemilik: '',
    bankacc: 0,
    cabang: '',
    charge_admin: '0',
    charge_connectivity: '0',
    img_url: '',
    install_12: '0',
    install_6: '0',
    is_installment: '0',
    kategori: '',
    productName: '',
    status: '1',
    ...fields,
  };
}

/**
 * The BCA row is the document's example. The others are the sandbox's, one per variant the
 * document describes: Mandiri manual transfer (its norek is the one in the document's webhook
 * example) and Mandiri credit card (the document's "Multipayment - Mandiri Credit Card").
 * A product is (bankCode, productCode): Mandiri's three share bankCode 008.
 */
export const LIST_BANK: readonly BankProduct[] = [
  {
    variant: 'va',
    vaPrefix: '39010',
    row: row({
      bankCode: '014',
      bankDesc: 'BANK BCA',
      bankDisplayNm: 'BANK BCA',
      id: 42,
      img_url: `${IMG}/ic_payment_bca.png`,
      kategori: 'Transfer Bank (VA)',
      productCode: 'BCAATM',
      productName: 'BCA VA Online',
    }),
  },
  {
    variant: 'va',
    vaPrefix: '89508',
    row: row({
      bankCode: '008',
      bankDesc: 'BANK MANDIRI',
      bankDisplayNm: 'BANK MANDIRI',
      id: 43,
      img_url: `${IMG}/ic_payment_mandiri.png`,
      kategori: 'Transfer Bank (VA)',
      productCode: 'MANDIRIATM',
      productName: 'Mandiri VA Online',
    }),
  },
  {
    variant: 'manual',
    row: row({
      bankCode: '008',
      bankDesc: 'BANK MANDIRI',
      bankDisplayNm: 'MANDIRI TRANSFER MANUAL',
      bank_pemilik: 'PT. K-LINK NUSANTARA',
      bankacc: 1190000879898,
      cabang: 'KCP JAKARTA',
      id: 44,
      img_url: `${IMG}/ic_payment_mandiri.png`,
      kategori: 'Transfer Manual',
      productCode: 'MANDIRIMANUAL',
      productName: 'Mandiri Transfer Manual',
    }),
  },
  {
    variant: 'card',
    row: row({
      bankCode: '008',
      bankDesc: 'BANK MANDIRI',
      bankDisplayNm: 'MANDIRI CREDIT CARD',
      id: 45,
      img_url: `${IMG}/ic_payment_mandiri_cc.png`,
      install_12: '1',
      install_6: '1',
      is_installment: '1',
      kategori: 'Kartu Kredit',
      productCode: 'MANDIRICC',
      productName: 'Mandiri Credit Card',
    }),
  },
];

/** list_bank_midtrans' one row, exactly the document's (nulls included). */
export const LIST_BANK_MIDTRANS = [
  {
    bankCode: 'gopay',
    bankDesc: 'GOPAY',
    bankDisplayNm: 'GOPAY',
    bank_pemilik: null,
    bankacc: null,
    cabang: null,
    cara_bayar: null,
    charge_admin: '2500',
    charge_connectivity: '0',
    id: 1,
    img_url: null,
    install_12: null,
    install_6: null,
    is_installment: null,
    kategori: null,
    productCode: 'e_money',
    productName: 'E-Money',
    status: '1',
  },
] as const;

/**
 * product_code values pay_service_midtrans accepts for gopay. The list says "e_money", the
 * document's pay_service_midtrans example sends "e_wallets" (and the variable table says
 * "e_wallet"): the sandbox accepts all three rather than refuse the document's own example.
 */
export const MIDTRANS_PRODUCT_CODES: Readonly<Record<string, readonly string[]>> = {
  gopay: ['e_money', 'e_wallets', 'e_wallet'],
};

/** status_code values of pay_service_midtrans' data, with the document's texts. '201' is the only success. */
export const MIDTRANS_STATUS = {
  '201': 'GoPay transaction is created',
  '401': 'Access denied due to unauthorized transaction, please check client or server key',
  '406': 'order_id has been paid and utilized, please use another order ID',
  '503': 'Bank/partner is experiencing connection issue.',
  '05': 'Do not honor',
  '900': 'GENERIC_SERVICE_ERROR',
} as const;
export type MidtransStatusCode = keyof typeof MIDTRANS_STATUS;
export const MIDTRANS_FAILURE_CODES = ['401', '406', '503', '05', '900'] as const;
export type MidtransFailureCode = (typeof MIDTRANS_FAILURE_CODES)[number];

/** Midtrans' sandbox host: the actions' URLs have the document's shape but never point at production. */
export const MIDTRANS_API = 'https://api.sandbox.veritrans.co.id';
export const MIDTRANS_MERCHANT_ID = 'G000000000';
/**
 * The server key the sandbox's own Midtrans routes (/midtrans) accept when none is configured
 * (SANDBOX_MIDTRANS_SERVER_KEY unset): it opens only this sandbox.
 */
export const MIDTRANS_SANDBOX_SERVER_KEY = 'SB-Mid-server-sandbox';
