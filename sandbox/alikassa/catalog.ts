/**
 * AliKassa's services and bank codes, from the document ("Payment solution ID 2"), written out
 * again here: the sandbox validates with its own tables, never with the client's (providers/).
 * A customer_code is valid only inside its service.
 */
export const PAYMENT_SERVICES: Readonly<Record<string, readonly string[]>> = {
  online_banking_idr_hpp: ['BCA', 'BNI', 'BRI', 'CIMBN', 'MDR', 'PMTB', 'PANIN'],
  qr_code_idr_hpp: ['QRIS', 'DANAQRIS', 'GOPAYQRIS', 'LINKAJAQRIS', 'OVOQRIS', 'SHOPEEQRIS'],
  virtual_account_idr_hpp: [
    'BCAVA',
    'BNIVA',
    'BRIVA',
    'CIMBNVA',
    'MBBIVA',
    'MDRVA',
    'PMTBVA',
    'PANINVA',
    'BDIVA',
  ],
  local_bank_transfer_idr_hpp: ['BCALBT', 'BNILBT', 'BRILBT', 'MDRLBT'],
};

export const PAYOUT_SERVICE = 'payment_card_idr';

/**
 * payment_card_idr's codes. BSI is listed "(under maintenance)": the sandbox accepts the code
 * (it is in the table) and the payout then fails, which is what a bank in maintenance does.
 */
export const PAYOUT_CODES: readonly string[] = [
  'PMTB',
  'BCASB',
  'BMI',
  'BRISB',
  'BSM',
  'BTN',
  'BTPN',
  'OCBCN',
  'MDRSB',
  'PNBN',
  'UOBI',
  'BSI',
  'PTBC',
  'HSBCI',
  'PANIN',
  'DBSI',
  'HANAI',
  'MNC',
  'BKAL',
  'ALLOB',
  'SEABANK',
  'SUMUT',
  'BMLI',
  'BCAD',
  'BJB',
];

export const PAYOUT_UNDER_MAINTENANCE = new Set(['BSI']);
