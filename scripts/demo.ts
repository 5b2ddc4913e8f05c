/**
 * The local stack's demo (`npm start`): payments of every saga and every payment method, driven
 * over HTTP exactly as a backend would (the gateway's REST front), each left in a state an
 * operator meets: completed or paid, failed, voided or expired, waiting for someone, and parked
 * for review with its reason (the Web UI's review queue). The sandbox's control API stands in for
 * everyone else: the participant who receives the OTP, the customer who pays (too little, or too
 * late), the merchant who refuses a delivery, a provider that refuses or answers unclearly.
 *
 * Every scenario runs at once, so the demo takes as long as its slowest one (a GoPay charge left
 * to expire, then paid late). test/e2e/demo.test.ts checks that the rows cover every saga in
 * workflows/sagas.ts and every method in TRANSFER_METHODS.
 */
import { createKLinkClient } from '../providers/klink/client';
import { NEEDS_REVIEW } from '../workflows/saga-definitions';
import { SAGA_NAMES, SAGAS, type SagaName } from '../workflows/sagas';
import type { TransferMethod } from '../workflows/transfer-definitions';
import { unmatchedReportWorkflowId } from '../workflows/unmatched-report';
import { jsonCaller, waitForView, type Call } from './demo-http';

export interface DemoTargets {
  gatewayUrl: string;
  sandboxUrl: string;
  /** The sandbox's K-Link login: the demo pays into escrow as a shop would, to refund it. */
  klink?: { baseUrl: string; email: string; password: string };
  /** The gateway's GATEWAY_API_TOKEN, when it has one. */
  apiToken?: string;
}

/** One payment of the demo, as the table shows it. */
export interface DemoRow {
  saga: SagaName;
  /** How the money moves: a transfer method (TRANSFER_METHODS), or the saga's own way. */
  method: string;
  workflowId: string;
  /** Where the payment is now; STEP_FAILED when the demo could not drive it (see reason). */
  status: string;
  /** The status the demo drove it to: status differs when it did not get there in time. */
  wanted: string;
  /** NEEDS_REVIEW: why it parked, as an operator reads it. STEP_FAILED: what went wrong. */
  reason?: string;
  /** NEEDS_REVIEW: what an operator may do about it. */
  actions?: string[];
  label: string;
  /** For a payment waiting for someone: what to try. */
  hint?: string;
}

/** The status of a row the demo could not drive (a call it made failed): never a saga's status. */
export const STEP_FAILED = 'STEP FAILED';

/** How long a payment may take to reach its status: the whole demo stays under a minute. */
const WAIT_MS = 45_000;

/** Statuses a payment does not leave by itself: waiting for another one is pointless. */
const SETTLED = [...new Set([NEEDS_REVIEW, ...SAGA_NAMES.flatMap((s) => SAGAS[s].finalStatuses)])];

/** A row before it runs. */
interface RowPlan {
  saga: SagaName;
  method: TransferMethod | 'otp' | 'escrow' | 'prepaid' | 'postpaid' | 'bank-payout' | 'kwallet';
  wanted: string;
  label: string;
}

interface Started {
  workflowId: string;
  hint?: string;
}

/** What a scenario drives the world with. */
interface Driver {
  runId: string;
  /** A number unique within this run, for ids. */
  next(): number;
  gateway<T = { workflowId: string }>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  control<T = unknown>(path: string, body?: unknown): Promise<T>;
  /** Waits until the payment reaches `status`; throws (naming where it is) when it does not. */
  reach(workflowId: string, status: string): Promise<void>;
  klink?: DemoTargets['klink'];
}

/** One or more rows (in order) and how to bring their payments where the rows say. */
interface Scenario {
  rows: RowPlan[];
  run(d: Driver): Promise<Started[]>;
}

const one = (plan: RowPlan, run: (d: Driver) => Promise<Started>): Scenario => ({
  rows: [plan],
  run: async (d) => [await run(d)],
});

const customer = { fullname: 'Budi Santoso', phone: '081234567890', email: 'budi@example.test' };

/** The K-Link product a transfer of each K-Link method uses (the sandbox's list_bank). */
export const KLINK_PRODUCTS: Record<
  Exclude<TransferMethod, 'alikassa'>,
  { bankCode: string; productCode: string }
> = {
  'klink-va': { bankCode: '014', productCode: 'BCAATM' },
  'klink-manual': { bankCode: '008', productCode: 'MANDIRIMANUAL' },
  'klink-card': { bankCode: '008', productCode: 'MANDIRICC' },
  'klink-gopay': { bankCode: 'gopay', productCode: 'e_money' },
};
export const ALIKASSA_PRODUCT = { service: 'virtual_account_idr_hpp', customerCode: 'BCAVA' };

// ---- Prakerja: OTP-authorized payments ----

async function prakerjaPayment(d: Driver, amount: number) {
  const n = d.next();
  const token = await d.control<{ payment_token: string; otp: string }>('prakerja/tokens', {
    amount,
    prakerja_name: `Peserta Demo ${n}`,
  });
  const invoiceCode = `DEMO-${d.runId}-${n}`;
  const { workflowId } = await d.gateway('POST', '/prakerja/payments', {
    invoiceCode,
    invoiceUrl: `https://lp.example/invoices/${invoiceCode}`,
    paymentToken: token.payment_token,
    amount,
    orderId: `ORDER-${d.runId}-${n}`,
    otpTimeoutSeconds: 3600,
  });
  const submitOtp = (otp: string) => d.gateway('POST', `/payments/${workflowId}/otp`, { otp });
  return { invoiceCode, workflowId, otp: token.otp, submitOtp };
}

/** The merchant refuses the delivery for good (422): the saga must void the authorization. */
const refuseDelivery = (d: Driver, invoiceCode: string) =>
  d.control('merchant/fail', { invoice_code: invoiceCode, status: 422 });

const prakerja: Scenario[] = [
  one(
    {
      saga: 'prakerja',
      method: 'otp',
      wanted: 'COMPLETED',
      label: 'a wrong OTP, then the right one: paid and delivered',
    },
    async (d) => {
      const p = await prakerjaPayment(d, 150_000);
      await p.submitOtp(p.otp === '000000' ? '111111' : '000000');
      await p.submitOtp(p.otp);
      return p;
    },
  ),
  one(
    {
      saga: 'prakerja',
      method: 'otp',
      wanted: 'VOIDED',
      label: 'the merchant refused the delivery: authorization voided',
    },
    async (d) => {
      const p = await prakerjaPayment(d, 250_000);
      await refuseDelivery(d, p.invoiceCode);
      await p.submitOtp(p.otp);
      return p;
    },
  ),
  one(
    {
      saga: 'prakerja',
      method: 'otp',
      wanted: NEEDS_REVIEW,
      label: 'delivery refused and Prakerja refused the void (redeemed)',
    },
    async (d) => {
      const p = await prakerjaPayment(d, 99_000);
      await refuseDelivery(d, p.invoiceCode);
      await d.control('prakerja/refuse-void', { invoice_code: p.invoiceCode, refusal: 'redeemed' });
      await p.submitOtp(p.otp);
      return p;
    },
  ),
  one(
    { saga: 'prakerja', method: 'otp', wanted: 'AWAITING_OTP', label: "waiting for the participant's OTP" },
    async (d) => {
      const p = await prakerjaPayment(d, 50_000);
      return { ...p, hint: `./bin/paysaga.js prakerja otp ${p.invoiceCode} ${p.otp}` };
    },
  ),
];

// ---- K-Link escrow refunds ----

/** A member pays an order into escrow (as the shop would), then the shop asks for the refund. */
async function escrowRefund(d: Driver, expectedAmount: number): Promise<Started> {
  if (!d.klink) throw new Error("needs the sandbox's K-Link login (DemoTargets.klink)");
  const n = d.next();
  const idMember = `DEMO-MEMBER-${d.runId}-${n}`;
  const idOrder = `DEMO-ORDER-${d.runId}-${n}`;
  await d.control('klink/members', { id_member: idMember, balance: 250_000 });
  const shop = createKLinkClient({ ...d.klink, timeoutMs: 10_000 });
  await shop.pay({ idMember, amount: 90_000, idOrder, description: 'Konsultasi dokter' });
  return d.gateway('POST', '/klink/refunds', {
    idOrder,
    idMember,
    expectedAmount,
    note: 'dokter tidak sedang standby',
  });
}

const klinkRefunds: Scenario[] = [
  one(
    { saga: 'klinkRefund', method: 'escrow', wanted: 'REFUNDED', label: "K-Link's data matched: refunded" },
    (d) => escrowRefund(d, 90_000),
  ),
  one(
    {
      saga: 'klinkRefund',
      method: 'escrow',
      wanted: 'AWAITING_CONFIRMATION',
      label: 'the amount differs: waiting for an operator',
    },
    async (d) => {
      const { workflowId } = await escrowRefund(d, 80_000);
      return { workflowId, hint: `./bin/paysaga.js status ${workflowId}, then refund confirm|reject` };
    },
  ),
  one(
    { saga: 'klinkRefund', method: 'escrow', wanted: NEEDS_REVIEW, label: 'an order K-Link does not know' },
    async (d) => {
      const n = d.next();
      return d.gateway('POST', '/klink/refunds', {
        idOrder: `DEMO-GHOST-${d.runId}-${n}`,
        idMember: `DEMO-NOBODY-${d.runId}-${n}`,
        expectedAmount: 10_000,
        note: 'pesanan tidak dikenal',
      });
    },
  ),
];

// ---- PPOB: prepaid top-ups and postpaid bills, funded from K-Wallet ----

/** A phone number of this run, so an outcome armed for it meets only this run's purchase. */
function demoPhone(d: Driver): string {
  let h = 7;
  for (const c of d.runId) h = (h * 31 + c.charCodeAt(0)) % 100_000;
  return `0812${String(h).padStart(5, '0')}${String(d.next()).padStart(3, '0')}`;
}

async function ppobBuy(d: Driver, body: Record<string, unknown>, funded = true) {
  const n = d.next();
  let funding: { idMember: string } | undefined;
  if (funded) {
    funding = { idMember: `DEMO-PPOB-${d.runId}-${n}` };
    await d.control('klink/members', { id_member: funding.idMember, balance: 500_000 });
  }
  return d.gateway('POST', '/ppob/purchases', {
    orderId: `DEMO-${d.runId}-${n}`,
    pollSeconds: 1,
    ...body,
    ...(funding ? { funding: { ...funding, ...(body.funding as object) } } : {}),
  });
}

const ppob: Scenario[] = [
  one(
    { saga: 'ppob', method: 'prepaid', wanted: 'SUCCEEDED', label: 'electricity token bought, SN delivered' },
    (d) =>
      ppobBuy(d, {
        kind: 'prepaid',
        productCode: 'PLN20',
        destination: '14123456789',
        funding: { amount: 20_800 },
      }),
  ),
  one(
    {
      saga: 'ppob',
      method: 'prepaid',
      wanted: 'REFUNDED',
      label: 'top-up failed at the provider: K-Wallet refunded',
    },
    async (d) => {
      const destination = demoPhone(d);
      await d.control('ppob/outcome', { dest: destination, outcome: 'failed' });
      return ppobBuy(d, { kind: 'prepaid', productCode: 'S10', destination, funding: { amount: 10_500 } });
    },
  ),
  one(
    {
      saga: 'ppob',
      method: 'prepaid',
      wanted: NEEDS_REVIEW,
      label: 'still pending at its deadline: never refunded blind',
    },
    async (d) => {
      const destination = demoPhone(d);
      await d.control('ppob/outcome', { dest: destination, outcome: 'pending-forever' });
      return ppobBuy(d, { kind: 'prepaid', productCode: 'S10', destination, finalDeadlineSeconds: 5 }, false);
    },
  ),
  one(
    { saga: 'ppob', method: 'postpaid', wanted: 'SUCCEEDED', label: 'BPJS bill shown, accepted and paid' },
    async (d) => {
      const { workflowId } = await ppobBuy(d, {
        kind: 'postpaid',
        productCode: 'INQBPJS',
        destination: '8888801234567890',
      });
      await d.reach(workflowId, 'AWAITING_CONFIRMATION');
      await d.gateway('POST', `/purchases/${workflowId}/bill`, { accept: true, operator: 'demo' });
      return { workflowId };
    },
  ),
  one(
    {
      saga: 'ppob',
      method: 'postpaid',
      wanted: 'AWAITING_CONFIRMATION',
      label: 'electricity bill waiting for the caller',
    },
    async (d) => {
      const { workflowId } = await ppobBuy(d, {
        kind: 'postpaid',
        productCode: 'INQPLN',
        destination: '512345678901',
      });
      return { workflowId, hint: `./bin/paysaga.js ppob bill ${workflowId} --decision accept` };
    },
  ),
];

// ---- Pay by transfer: every method; and money that arrives too late (an unmatched report) ----

async function transfer(d: Driver, method: TransferMethod, amount: number, extra: object = {}) {
  const orderId = `DEMO-${method}-${d.runId}-${d.next()}`;
  const product = method === 'alikassa' ? ALIKASSA_PRODUCT : KLINK_PRODUCTS[method];
  const { workflowId } = await d.gateway('POST', '/transfers', {
    orderId,
    method,
    amount,
    customer,
    ...product,
    ...extra,
  });
  // The start answers once the provider created the payment; wait anyway, the pay needs it.
  await d.reach(workflowId, 'AWAITING_PAYMENT');
  return { orderId, workflowId };
}

/** The customer pays at the provider (amount: something else than asked); its simulator then notifies. */
function customerPays(d: Driver, method: TransferMethod, orderId: string, more: object = {}) {
  return method === 'alikassa'
    ? d.control('alikassa/pay', { order_id: orderId, ...more })
    : d.control('klink/customer-pays', { order_id: orderId, ...more });
}

/** Paid as asked, confirmed by the provider's signed notification. */
const paidTransfer = (method: TransferMethod, label: string): Scenario =>
  one({ saga: 'transfer', method, wanted: 'PAID', label }, async (d) => {
    const t = await transfer(d, method, 175_000);
    await customerPays(d, method, t.orderId);
    return t;
  });

const transfers: Scenario[] = [
  paidTransfer('klink-va', 'VA paid, confirmed by the signed K-Link webhook'),
  paidTransfer('klink-card', 'card page paid, confirmed by the signed K-Link webhook'),
  paidTransfer('alikassa', 'AliKassa page paid, confirmed by its signed GET notification'),
  one(
    {
      saga: 'transfer',
      method: 'klink-manual',
      wanted: 'AWAITING_PAYMENT',
      label: 'manual transfer waiting',
    },
    async (d) => {
      const { workflowId } = await transfer(d, 'klink-manual', 99_000);
      return { workflowId, hint: `./bin/paysaga.js status ${workflowId} (the exact amount, with kode_unik)` };
    },
  ),
  one(
    {
      saga: 'transfer',
      method: 'klink-manual',
      wanted: NEEDS_REVIEW,
      label: 'manual transfer paid without its kode_unik',
    },
    async (d) => {
      const t = await transfer(d, 'klink-manual', 120_000);
      await customerPays(d, 'klink-manual', t.orderId, { amount: 120_000 });
      return t;
    },
  ),
  one(
    {
      saga: 'transfer',
      method: 'alikassa',
      wanted: NEEDS_REVIEW,
      label: 'AliKassa partial payment: both amounts kept, never PAID',
    },
    async (d) => {
      const t = await transfer(d, 'alikassa', 175_000);
      await customerPays(d, 'alikassa', t.orderId, { amount: 100_000 });
      return t;
    },
  ),
  {
    rows: [
      {
        saga: 'transfer',
        method: 'klink-gopay',
        wanted: 'EXPIRED',
        label: 'GoPay not paid in time: the charge cancelled at Midtrans',
      },
      {
        saga: 'unmatched',
        method: 'klink-gopay',
        wanted: NEEDS_REVIEW,
        label: 'the expired GoPay paid after all: the money kept for an operator',
      },
    ],
    async run(d) {
      const t = await transfer(d, 'klink-gopay', 60_000, { expirySeconds: 10 });
      await d.reach(t.workflowId, 'EXPIRED');
      await customerPays(d, 'klink-gopay', t.orderId, { late: true });
      // The gateway files the late money as a report under the order it names.
      return [t, { workflowId: unmatchedReportWorkflowId('klink', t.orderId) }];
    },
  },
];

// ---- AliKassa payouts ----

async function payout(d: Driver, outcome?: 'fail'): Promise<Started> {
  const orderId = `DEMO-PO-${d.runId}-${d.next()}`;
  if (outcome) await d.control('alikassa/payout-outcome', { order_id: orderId, outcome });
  return d.gateway('POST', '/alikassa/payouts', {
    orderId,
    amount: 125_000,
    bankCode: 'PMTB',
    accountNumber: '1234567890',
    firstName: 'Siti',
    lastName: 'Aminah',
    pollSeconds: 1,
  });
}

const payouts: Scenario[] = [
  one(
    { saga: 'payout', method: 'bank-payout', wanted: 'PAID_OUT', label: 'paid out to a bank account' },
    (d) => payout(d),
  ),
  one(
    {
      saga: 'payout',
      method: 'bank-payout',
      wanted: 'FAILED',
      label: 'the bank failed the payout: nothing paid out',
    },
    (d) => payout(d, 'fail'),
  ),
];

// ---- K-Wallet transfers between members ----

async function kwalletTransfer(
  d: Driver,
  senderBalance: number,
  amount: number,
  arm?: (sender: string) => Promise<unknown>,
): Promise<Started> {
  const n = d.next();
  const [from, to] = [`DEMO-KW-A-${d.runId}-${n}`, `DEMO-KW-B-${d.runId}-${n}`];
  await d.control('klink/members', { id_member: from, balance: senderBalance });
  await d.control('klink/members', { id_member: to, balance: 0 });
  await arm?.(from);
  return d.gateway('POST', '/klink/transfers', {
    transferId: `DEMO-KW-${d.runId}-${n}`,
    idMemberSend: from,
    idMemberReceipt: to,
    amount,
    description: 'uang makan',
    confirmDelaysSeconds: [1, 1],
  });
}

const kwalletTransfers: Scenario[] = [
  one(
    { saga: 'kwalletTransfer', method: 'kwallet', wanted: 'TRANSFERRED', label: 'sent to another member' },
    (d) => kwalletTransfer(d, 200_000, 40_000),
  ),
  one(
    {
      saga: 'kwalletTransfer',
      method: 'kwallet',
      wanted: 'FAILED',
      label: 'K-Link refused (balance short): nothing moved',
    },
    (d) => kwalletTransfer(d, 5_000, 40_000),
  ),
  one(
    {
      saga: 'kwalletTransfer',
      method: 'kwallet',
      wanted: NEEDS_REVIEW,
      label: 'K-Link answered 5xx and history shows nothing: never sent twice',
    },
    (d) =>
      kwalletTransfer(d, 200_000, 40_000, (sender) =>
        d.control('faults', {
          route: 'klink.transfer_to_account',
          mode: 'error5xx',
          match: { id_member_send: sender },
        }),
      ),
  ),
];

/** Every scenario, in the table's order. */
const SCENARIOS: Scenario[] = [
  ...prakerja,
  ...klinkRefunds,
  ...ppob,
  ...transfers,
  ...payouts,
  ...kwalletTransfers,
];

export async function runDemo(t: DemoTargets, runId = Date.now().toString(36)): Promise<DemoRow[]> {
  const call = jsonCaller({ apiToken: t.apiToken });
  let seq = 0;
  const d: Driver = {
    runId,
    next: () => ++seq,
    gateway: <T>(method: 'GET' | 'POST', path: string, body?: unknown) =>
      call<T>(method, `${t.gatewayUrl}/v1${path}`, body),
    control: <T>(path: string, body?: unknown) =>
      call<T>(body === undefined ? 'GET' : 'POST', `${t.sandboxUrl}/_control/${path}`, body),
    reach: async (workflowId, status) => {
      const stopAt = { wanted: [status], settled: SETTLED };
      const view = await waitForView(call, t.gatewayUrl, workflowId, stopAt, WAIT_MS);
      if (view?.status !== status)
        throw new Error(`${workflowId} did not reach ${status}: it is ${view?.status ?? 'not there'}`);
    },
    klink: t.klink,
  };
  const rows = await Promise.all(SCENARIOS.map((s) => play(d, call, t.gatewayUrl, s)));
  return rows.flat();
}

/** Runs one scenario, then waits for each of its payments to reach its row's status. */
async function play(d: Driver, call: Call, gatewayUrl: string, s: Scenario): Promise<DemoRow[]> {
  let started: Started[];
  try {
    started = await s.run(d);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return s.rows.map((plan) => ({ ...plan, workflowId: '-', status: STEP_FAILED, reason }));
  }
  return Promise.all(
    s.rows.map(async (plan, i): Promise<DemoRow> => {
      const { workflowId, hint } = started[i]!;
      const stopAt = { wanted: [plan.wanted], settled: SETTLED };
      const view = await waitForView(call, gatewayUrl, workflowId, stopAt, WAIT_MS);
      const review = view?.status === NEEDS_REVIEW ? view.review : undefined;
      return {
        ...plan,
        workflowId,
        status: view?.status ?? 'NOT FOUND',
        ...(review ? { reason: review.reason, actions: review.actions } : {}),
        ...(hint && view?.status === plan.wanted ? { hint } : {}),
      };
    }),
  );
}

/**
 * The table `npm start` prints: saga, method, status and workflow id, then what happened; under a
 * NEEDS_REVIEW row its reason and actions, under a waiting one what to try, and a link to the
 * payment in the Web UI when there is one.
 */
export function formatDemoTable(rows: DemoRow[], uiWorkflowsUrl?: string): string {
  const w = {
    saga: Math.max(4, ...rows.map((r) => r.saga.length)),
    method: Math.max(6, ...rows.map((r) => r.method.length)),
    status: Math.max(6, ...rows.map((r) => r.status.length)),
  };
  const indent = ' '.repeat(2 + w.saga + 1 + w.method + 1 + w.status + 1);
  const lines = [
    `  ${'saga'.padEnd(w.saga)} ${'method'.padEnd(w.method)} ${'status'.padEnd(w.status)} workflow id`,
  ];
  for (const r of rows) {
    lines.push(
      `  ${r.saga.padEnd(w.saga)} ${r.method.padEnd(w.method)} ${r.status.padEnd(w.status)} ${r.workflowId}`,
    );
    const aimed = r.status === r.wanted ? '' : ` (the demo aimed for ${r.wanted})`;
    lines.push(`${indent}${r.label}${aimed}`);
    if (r.reason) lines.push(`${indent}reason: ${r.reason}`);
    if (r.actions?.length) lines.push(`${indent}actions: ${r.actions.join(', ')}`);
    if (r.hint) lines.push(`${indent}try: ${r.hint}`);
    if (uiWorkflowsUrl && r.workflowId !== '-') lines.push(`${indent}${uiWorkflowsUrl}/${r.workflowId}`);
  }
  return lines.join('\n');
}
