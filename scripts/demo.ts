/**
 * The local stack's main job: a handful of Prakerja payments driven over HTTP exactly as a
 * backend would (through the gateway's REST front), each ending in a different state an
 * operator should recognise in the Web UI. The sandbox's control API stands in for the user
 * (receiving the OTP) and for the merchant (refusing a delivery).
 */
import fetch from 'node-fetch';
import { createKLinkClient } from '../providers/klink/client';

export interface DemoTargets {
  gatewayUrl: string;
  sandboxUrl: string;
  /** The sandbox's K-Link login: the demo pays into escrow as a shop would, to refund it. */
  klink?: { baseUrl: string; email: string; password: string };
}

export interface DemoPayment {
  label: string;
  workflowId: string;
  status: string;
}

async function call<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} -> HTTP ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function waitForStatus(
  gatewayUrl: string,
  workflowId: string,
  wanted: string[],
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await call<{ status: string }>('GET', `${gatewayUrl}/v1/payments/${workflowId}`);
    if (wanted.includes(view.status) || Date.now() > deadline) return view.status;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function runDemo(t: DemoTargets, runId = Date.now().toString(36)): Promise<DemoPayment[]> {
  const out: DemoPayment[] = [];
  const newPayment = async (n: number, amount: number) => {
    const { payment_token, otp } = await call<{ payment_token: string; otp: string }>(
      'POST',
      `${t.sandboxUrl}/_control/prakerja/tokens`,
      {
        amount,
        prakerja_name: `Peserta Demo ${n}`,
      },
    );
    const invoiceCode = `DEMO-${runId}-${n}`;
    const { workflowId } = await call<{ workflowId: string }>(
      'POST',
      `${t.gatewayUrl}/v1/prakerja/payments`,
      {
        invoiceCode,
        invoiceUrl: `https://lp.example/invoices/${invoiceCode}`,
        paymentToken: payment_token,
        amount,
        orderId: `ORDER-${runId}-${n}`,
        otpTimeoutSeconds: 3600,
      },
    );
    return { invoiceCode, workflowId, otp };
  };
  const submitOtp = (workflowId: string, otp: string) =>
    call<{ accepted: boolean; reason?: string }>('POST', `${t.gatewayUrl}/v1/payments/${workflowId}/otp`, {
      otp,
    });

  // 1. A wrong OTP first, then the right one: authorized, delivered, COMPLETED.
  const a = await newPayment(1, 150_000);
  await submitOtp(a.workflowId, a.otp === '000000' ? '111111' : '000000');
  await submitOtp(a.workflowId, a.otp);
  out.push({
    label: 'paid and delivered',
    workflowId: a.workflowId,
    status: await waitForStatus(t.gatewayUrl, a.workflowId, ['COMPLETED']),
  });

  // 2. The merchant refuses delivery for good: the saga voids the authorization.
  const b = await newPayment(2, 250_000);
  await call('POST', `${t.sandboxUrl}/_control/merchant/fail`, { invoice_code: b.invoiceCode, status: 422 });
  await submitOtp(b.workflowId, b.otp);
  out.push({
    label: 'delivery refused, voided',
    workflowId: b.workflowId,
    status: await waitForStatus(t.gatewayUrl, b.workflowId, ['VOIDED']),
  });

  // 3. Delivery refused and Prakerja refuses the void (already redeemed): an operator must look.
  const c = await newPayment(3, 99_000);
  await call('POST', `${t.sandboxUrl}/_control/merchant/fail`, { invoice_code: c.invoiceCode, status: 422 });
  await call('POST', `${t.sandboxUrl}/_control/prakerja/refuse-void`, {
    invoice_code: c.invoiceCode,
    refusal: 'redeemed',
  });
  await submitOtp(c.workflowId, c.otp);
  out.push({
    label: 'void refused, needs review',
    workflowId: c.workflowId,
    status: await waitForStatus(t.gatewayUrl, c.workflowId, ['NEEDS_REVIEW']),
  });

  // 4. Left waiting for its OTP: parked durably until the user (or the deadline) acts.
  const d = await newPayment(4, 50_000);
  if (t.klink) out.push(...(await refundDemo(t, t.klink, runId)));
  out.push(...(await ppobDemo(t, runId)));
  out.push(...(await transferDemo(t, runId)));

  out.push({
    label: `waiting for OTP (try: ./bin/paysaga.js prakerja otp ${d.invoiceCode} ${d.otp})`,
    workflowId: d.workflowId,
    status: 'AWAITING_OTP',
  });
  return out;
}

/** Two K-Link escrow refunds: one that matches and refunds by itself, one that waits for an operator. */
async function refundDemo(
  t: DemoTargets,
  klink: NonNullable<DemoTargets['klink']>,
  runId: string,
): Promise<DemoPayment[]> {
  const shop = createKLinkClient({ ...klink, timeoutMs: 10_000 });
  const out: DemoPayment[] = [];
  for (const [n, expected, label] of [
    [5, 90_000, 'escrow refund, data matched'],
    [6, 80_000, 'escrow refund, amount differs: waiting for an operator'],
  ] as const) {
    const idMember = `DEMO-MEMBER-${runId}-${n}`;
    const idOrder = `DEMO-ORDER-${runId}-${n}`;
    await call('POST', `${t.sandboxUrl}/_control/klink/members`, { id_member: idMember, balance: 250_000 });
    await shop.pay({ idMember, amount: 90_000, idOrder, description: 'Konsultasi dokter' });
    const { workflowId } = await call<{ workflowId: string }>('POST', `${t.gatewayUrl}/v1/klink/refunds`, {
      idOrder,
      idMember,
      expectedAmount: expected,
      note: 'dokter tidak sedang standby',
    });
    const status = await waitForStatus(t.gatewayUrl, workflowId, ['REFUNDED', 'AWAITING_CONFIRMATION']);
    const hint =
      status === 'AWAITING_CONFIRMATION'
        ? ` (try: ./bin/paysaga.js status ${workflowId}, then refund confirm|reject)`
        : '';
    out.push({ label: `${label}${hint}`, workflowId, status });
  }
  return out;
}

/** PPOB: a funded electricity token that succeeds, one that fails and is refunded, a postpaid bill waiting for the caller. */
async function ppobDemo(t: DemoTargets, runId: string): Promise<DemoPayment[]> {
  const out: DemoPayment[] = [];
  const idMember = `DEMO-PPOB-${runId}`;
  await call('POST', `${t.sandboxUrl}/_control/klink/members`, { id_member: idMember, balance: 400_000 });
  const buy = (n: number, body: Record<string, unknown>) =>
    call<{ workflowId: string }>('POST', `${t.gatewayUrl}/v1/ppob/purchases`, {
      orderId: `DEMO-${runId}-${n}`,
      pollSeconds: 2,
      ...body,
    });

  const ok = await buy(7, {
    kind: 'prepaid',
    productCode: 'PLN20',
    destination: '14123456789',
    funding: { idMember, amount: 20_800 },
  });
  out.push({
    label: 'electricity token bought, SN delivered',
    workflowId: ok.workflowId,
    status: await waitForStatus(t.gatewayUrl, ok.workflowId, ['SUCCEEDED']),
  });

  await call('POST', `${t.sandboxUrl}/_control/ppob/outcome`, { dest: '081299990008', outcome: 'failed' });
  const failed = await buy(8, {
    kind: 'prepaid',
    productCode: 'S10',
    destination: '081299990008',
    funding: { idMember, amount: 10_500 },
  });
  out.push({
    label: 'top-up failed at the provider, K-Wallet refunded',
    workflowId: failed.workflowId,
    status: await waitForStatus(t.gatewayUrl, failed.workflowId, ['REFUNDED']),
  });

  const bill = await buy(9, {
    kind: 'postpaid',
    productCode: 'INQPLN',
    destination: '512345678901',
    funding: { idMember, amount: 1 },
  });
  out.push({
    label: `electricity bill waiting for the caller (try: ./bin/paysaga.js ppob bill ${bill.workflowId} --decision accept)`,
    workflowId: bill.workflowId,
    status: await waitForStatus(t.gatewayUrl, bill.workflowId, ['AWAITING_CONFIRMATION']),
  });
  return out;
}

/** Pay by transfer: a VA paid by the customer (K-Link's signed webhook), a manual transfer waiting. */
async function transferDemo(t: DemoTargets, runId: string): Promise<DemoPayment[]> {
  const customer = { fullname: 'Budi Santoso', phone: '081234567890', email: 'budi@example.test' };
  const paid = await call<{ workflowId: string }>('POST', `${t.gatewayUrl}/v1/transfers`, {
    orderId: `DEMO-VA-${runId}`,
    method: 'klink-va',
    amount: 175_000,
    customer,
    bankCode: '014',
    productCode: 'BCAATM',
  });
  await waitForStatus(t.gatewayUrl, paid.workflowId, ['AWAITING_PAYMENT']);
  await call('POST', `${t.sandboxUrl}/_control/klink/customer-pays`, { order_id: `DEMO-VA-${runId}` });
  const waiting = await call<{ workflowId: string }>('POST', `${t.gatewayUrl}/v1/transfers`, {
    orderId: `DEMO-MANUAL-${runId}`,
    method: 'klink-manual',
    amount: 99_000,
    customer,
    bankCode: '008',
    productCode: 'MANDIRIMANUAL',
  });
  return [
    {
      label: 'VA paid, confirmed by the signed K-Link webhook',
      workflowId: paid.workflowId,
      status: await waitForStatus(t.gatewayUrl, paid.workflowId, ['PAID']),
    },
    {
      label: `manual transfer waiting (see the exact amount with kode_unik: ./bin/paysaga.js status ${waiting.workflowId})`,
      workflowId: waiting.workflowId,
      status: await waitForStatus(t.gatewayUrl, waiting.workflowId, ['AWAITING_PAYMENT']),
    },
  ];
}
