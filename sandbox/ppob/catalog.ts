/**
 * What the PPOB simulator sells. The document names product codes only by example ("TS10, TS20,
 * PLN20, dsb." and "S10" in its curl), so the list, the prices and the customers below are the
 * sandbox's own. Money is integer rupiah; `price` is what the partner pays (face value plus the
 * aggregator's margin), and it is what the answer's `price` carries.
 */

export type SerialKind = 'voucher' | 'pln-token' | 'reference';

export interface PrepaidProduct {
  code: string;
  name: string;
  /** Face value in rupiah. */
  nominal: number;
  price: number;
  /** Shape of the SN on success: a voucher serial, or PLN's 20-digit token. */
  serial: SerialKind;
  /** Set for a product that always ends Failed (after Pending), with this reason. */
  failsWith?: string;
}

export interface Bill {
  customer_name: string;
  /** The whole amount due, admin fee included: inquiry's `price`. */
  amount: number;
}

export interface PostpaidProduct {
  /** The inquiry code sent to /trx/topup. */
  code: string;
  name: string;
  /** Bills by customer number (dest); any other number is 'customer not found'. */
  bills: Readonly<Record<string, Bill>>;
}

export const PREPAID_PRODUCTS: readonly PrepaidProduct[] = [
  { code: 'S10', name: 'Telkomsel Simpati 10.000', nominal: 10_000, price: 10_500, serial: 'voucher' },
  { code: 'S20', name: 'Telkomsel Simpati 20.000', nominal: 20_000, price: 20_350, serial: 'voucher' },
  { code: 'TS10', name: 'Telkomsel 10.000', nominal: 10_000, price: 10_450, serial: 'voucher' },
  { code: 'TS20', name: 'Telkomsel 20.000', nominal: 20_000, price: 20_400, serial: 'voucher' },
  {
    code: 'S5',
    name: 'Telkomsel Simpati 5.000 (sandbox: out of stock, always fails)',
    nominal: 5_000,
    price: 5_600,
    serial: 'voucher',
    failsWith: 'stok kosong',
  },
  { code: 'PLN20', name: 'Token PLN 20.000', nominal: 20_000, price: 20_800, serial: 'pln-token' },
  { code: 'PLN50', name: 'Token PLN 50.000', nominal: 50_000, price: 50_800, serial: 'pln-token' },
];

export const POSTPAID_PRODUCTS: readonly PostpaidProduct[] = [
  {
    code: 'INQPLN',
    name: 'PLN Pascabayar',
    bills: {
      '512345678901': { customer_name: 'BUDI SANTOSO', amount: 155_000 },
      '512345678902': { customer_name: 'SITI AMINAH', amount: 87_500 },
      '512345678903': { customer_name: 'RUDI HARTONO', amount: 1_250_000 },
    },
  },
  {
    code: 'INQBPJS',
    name: 'BPJS Kesehatan',
    bills: {
      '8888801234567890': { customer_name: 'AHMAD FAUZI', amount: 150_000 },
      '8888809876543210': { customer_name: 'DEWI LESTARI', amount: 300_000 },
    },
  },
];

export function prepaidProduct(code: string): PrepaidProduct | undefined {
  return PREPAID_PRODUCTS.find((p) => p.code === code);
}

export function postpaidProduct(code: string): PostpaidProduct | undefined {
  return POSTPAID_PRODUCTS.find((p) => p.code === code);
}

export function billFor(product: PostpaidProduct, dest: string): Bill | undefined {
  return Object.hasOwn(product.bills, dest) ? product.bills[dest] : undefined;
}
