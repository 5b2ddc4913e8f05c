/**
 * One `status` and one `review` for every saga, on the whole stack (dev server, sandbox, worker,
 * gateway as processes). For each saga, payments are brought into NEEDS_REVIEW by the sandbox's
 * own behaviour; then `paysaga status` (the real CLI, a separate process) and GET
 * /v1/payments/:id show the same status and offered actions, an action the payment does not
 * offer is refused by both, and one payment is resolved with `paysaga review`, another with POST
 * /v1/payments/:id/review. Also: a transfer start and a postpaid PPOB start answer with the
 * instructions and the bill in the same call (update-with-start), and a repeated start with the
 * same ones.
 *
 * Every saga runs in its own test, all at once: the slowest park (a payout whose create was
 * unclear, then confirmed absent) sets the run time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../../scripts/stack';
import { ALL_REVIEW_ACTIONS, SAGAS, type SagaName } from '../../workflows/sagas';
import { paysaga, paysagaJson } from '../helpers/cli';
import { http, waitUntil, type JsonResponse } from '../helpers/http';

interface Resolution {
  action: string;
  /** The status the payment ends in. */
  final: string;
  /** PPOB mark-succeeded: the serial number the operator confirmed. */
  sn?: string;
}

interface SagaCase {
  saga: SagaName;
  /** How the sandbox parks a payment of this saga. */
  how: string;
  /** The review reason that proves it parked for that (not for a failure nobody planned). */
  reason: RegExp;
  /** Each parks one payment and answers its workflow id once it is NEEDS_REVIEW: [CLI's, REST's]. */
  park: [() => Promise<string>, () => Promise<string>];
  cli: Resolution;
  rest: Resolution;
}

const customer = {
  fullname: 'Budi Santoso',
  phone: '081234567890',
  email: 'budi@example.test',
  ip: '10.1.2.3',
};
const OPERATOR = 'ana';

describe(
  'one status and one review for every saga (whole stack, CLI and REST)',
  { concurrency: true },
  () => {
    let stack: Stack;
    let seq = 0;
    const run = String(process.pid).slice(-4);
    const next = () => `${run}-${++seq}`;

    before(async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'paysaga-operate-'));
      const logs = join(dataDir, 'logs');
      mkdirSync(logs, { recursive: true });
      // Every component's lines go to <dataDir>/logs/<name>.log, none to the test output.
      stack = await startStack({
        dataDir,
        log: (name, line) => appendFileSync(join(logs, `${name}.log`), line + '\n'),
      });
    });
    after(async () => {
      await stack?.stop();
    });

    const control = (path: string, body?: unknown) =>
      http(body === undefined ? 'GET' : 'POST', `${stack.sandboxUrl}/_control/${path}`, body);
    const view = (id: string) => http('GET', `${stack.gatewayUrl}/v1/payments/${id}`);
    const restReview = (id: string, body: Record<string, unknown>) =>
      http('POST', `${stack.gatewayUrl}/v1/payments/${id}/review`, body);

    function expectOk(res: JsonResponse, what: string, status?: number): void {
      if (status === undefined)
        assert.ok(res.status < 300, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
      else assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
    }

    /** Waits for a status over REST; a timeout says where the payment was instead. */
    async function waitForStatus(id: string, status: string, timeoutMs: number): Promise<string> {
      let last: any;
      try {
        await waitUntil(
          async () => {
            last = (await view(id)).body;
            return last?.status === status;
          },
          timeoutMs,
          `${id} to reach ${status}`,
        );
      } catch {
        const where = last?.review?.reason ?? last?.timeline?.at(-1)?.note ?? last?.error ?? '';
        throw new Error(`${id} not ${status} after ${timeoutMs} ms: it is ${last?.status} (${where})`);
      }
      return id;
    }
    const parked = (id: string, timeoutMs = 60_000) => waitForStatus(id, 'NEEDS_REVIEW', timeoutMs);

    // ---- How the sandbox parks a payment of each saga ----

    /** Prakerja: authorized, the merchant refuses the delivery for good, Prakerja refuses the void. */
    async function parkPrakerja(): Promise<string> {
      const token = await control('prakerja/tokens', { amount: 20_000, prakerja_name: 'Peserta Review' });
      expectOk(token, 'prakerja token', 201);
      const invoiceCode = `OPS-${next()}`;
      const start = await http('POST', `${stack.gatewayUrl}/v1/prakerja/payments`, {
        invoiceCode,
        invoiceUrl: `https://lp.example/invoices/${invoiceCode}`,
        paymentToken: token.body.payment_token,
        amount: 20_000,
        orderId: `ORD-${invoiceCode}`,
      });
      expectOk(start, 'prakerja start', 201);
      expectOk(await control('merchant/fail', { invoice_code: invoiceCode, status: 422 }), 'merchant fail');
      expectOk(
        await control('prakerja/refuse-void', { invoice_code: invoiceCode, refusal: 'paidOut' }),
        'refuse void',
      );
      const otp = await http('POST', `${stack.gatewayUrl}/v1/payments/${start.body.workflowId}/otp`, {
        otp: token.body.otp,
      });
      expectOk(otp, 'otp', 200);
      return parked(start.body.workflowId);
    }

    /** K-Link refund: an order K-Link does not know (NOT_FOUND): a person must find the money. */
    async function parkKLinkRefund(): Promise<string> {
      const n = next();
      const start = await http('POST', `${stack.gatewayUrl}/v1/klink/refunds`, {
        idOrder: `OPS-R-${n}`,
        idMember: `nobody-${n}`,
        expectedAmount: 10_000,
        note: 'pesanan tidak dikenal',
      });
      expectOk(start, 'refund start', 201);
      return parked(start.body.workflowId);
    }

    /** PPOB: the top-up stays Pending past a short final deadline (never refunded blind). */
    async function parkPpob(): Promise<string> {
      const n = ++seq;
      const destination = `08123${run.slice(-3).padStart(3, '0')}${String(n).padStart(4, '0')}`;
      expectOk(
        await control('ppob/outcome', { dest: destination, outcome: 'pending-forever' }),
        'arm pending',
      );
      const start = await http('POST', `${stack.gatewayUrl}/v1/ppob/purchases`, {
        orderId: `OPS-P-${run}-${n}`,
        kind: 'prepaid',
        productCode: 'S10',
        destination,
        pollSeconds: 1,
        finalDeadlineSeconds: 5,
      });
      expectOk(start, 'ppob start', 201);
      return parked(start.body.workflowId);
    }

    /** Pay by transfer: a manual transfer paid with a wrong amount (its kode_unik left out). */
    async function parkTransfer(): Promise<string> {
      const orderId = `OPS-TR-${next()}`;
      const start = await http('POST', `${stack.gatewayUrl}/v1/transfers`, {
        orderId,
        method: 'klink-manual',
        amount: 150_000,
        customer,
        bankCode: '008',
        productCode: 'MANDIRIMANUAL',
      });
      expectOk(start, 'transfer start', 201);
      await waitForStatus(start.body.workflowId, 'AWAITING_PAYMENT', 30_000);
      expectOk(await control('klink/customer-pays', { order_id: orderId, amount: 150_000 - 1 }), 'pay');
      return parked(start.body.workflowId);
    }

    /**
     * AliKassa payout: the create answers 5xx before AliKassa recorded it (unclear), and the status
     * calls never find it: never created twice, a person is asked.
     */
    async function parkPayout(): Promise<string> {
      const orderId = `OPS-PO-${next()}`;
      expectOk(
        await control('faults', {
          route: 'alikassa.payout',
          mode: 'error5xx',
          match: { order_id: orderId },
        }),
        'arm payout fault',
      );
      const start = await http('POST', `${stack.gatewayUrl}/v1/alikassa/payouts`, {
        orderId,
        amount: 125_000,
        bankCode: 'PMTB',
        accountNumber: '1234567890',
        firstName: 'Siti',
        lastName: 'Aminah',
        pollSeconds: 1,
      });
      expectOk(start, 'payout start', 201);
      return parked(start.body.workflowId, 90_000);
    }

    /** Unmatched: a K-Link settlement webhook, validly signed, for an order nobody created. */
    async function parkUnmatchedKLink(): Promise<string> {
      const n = next();
      const orderId = `OPS-GHOST-${n}`;
      const sent = await control('webhooks/send-raw', {
        simulator: 'klink',
        path: '/webhooks/klink/settlement',
        body: JSON.stringify({
          status: 'success',
          message: 'Pembayaran berhasil',
          rq_uuid: `ghost-${n}`,
          rq_datetime: '2026-11-30 10:00:00',
          order_id: orderId,
          kd_pay: '-',
          tot_bayar: 50_000,
          norek: '-',
        }),
        sign: 'valid',
        orderId,
      });
      expectOk(sent, 'send the webhook', 202);
      return parked(`unmatched-klink-${orderId}`);
    }

    /** Unmatched: a PPOB callback (secret URL) for a refid no purchase carries. */
    async function parkUnmatchedPpob(): Promise<string> {
      const n = ++seq;
      const refid = 990_000_000 + n;
      const res = await http(
        'GET',
        `${stack.ppobCallbackUrl}?ref_id=${refid}&status=Success&sn=GHOST${n}&code=S10&destination=0800${n}`,
      );
      expectOk(res, 'ppob callback', 200);
      assert.equal(res.body.orphan, true, 'kept for an operator');
      return parked(`ppob-callback-${refid}`);
    }

    const cases: SagaCase[] = [
      {
        saga: 'prakerja',
        how: 'void refused after a failed fulfilment',
        reason: /void refused/,
        park: [parkPrakerja, parkPrakerja],
        cli: { action: 'mark-voided', final: 'VOIDED' },
        rest: { action: 'mark-completed', final: 'COMPLETED' },
      },
      {
        saga: 'klinkRefund',
        how: 'an order K-Link does not know',
        reason: /NOT_FOUND/,
        park: [parkKLinkRefund, parkKLinkRefund],
        cli: { action: 'mark-not-refunded', final: 'NOT_REFUNDED' },
        rest: { action: 'mark-not-refunded', final: 'NOT_REFUNDED' },
      },
      {
        saga: 'ppob',
        how: 'still pending at the final deadline',
        reason: /at the deadline/,
        park: [parkPpob, parkPpob],
        cli: { action: 'mark-succeeded', final: 'SUCCEEDED', sn: 'SN-OPS-123' },
        rest: { action: 'mark-failed', final: 'FAILED' },
      },
      {
        saga: 'transfer',
        how: 'a manual transfer paid with a wrong amount',
        reason: /expected exactly/,
        park: [parkTransfer, parkTransfer],
        cli: { action: 'mark-paid', final: 'PAID' },
        rest: { action: 'mark-not-paid', final: 'FAILED' },
      },
      {
        saga: 'payout',
        how: 'an unclear create AliKassa never shows',
        reason: /does not show this payout/,
        park: [parkPayout, parkPayout],
        cli: { action: 'mark-failed', final: 'FAILED' },
        rest: { action: 'mark-paid-out', final: 'PAID_OUT' },
      },
      {
        saga: 'unmatched',
        how: 'a signed webhook / a callback for a payment nobody created',
        reason: /no payment of this engine carries/,
        park: [parkUnmatchedKLink, parkUnmatchedPpob],
        cli: { action: 'mark-resolved', final: 'RESOLVED' },
        rest: { action: 'mark-resolved', final: 'RESOLVED' },
      },
    ];

    /** `paysaga status` and GET /v1/payments/:id agree: NEEDS_REVIEW, the same offered actions. */
    async function sameStatusBothWays(c: SagaCase, id: string): Promise<string[]> {
      const [fromCli, fromRest] = await Promise.all([paysagaJson(stack, ['status', id]), view(id)]);
      expectOk(fromRest, `GET ${id}`, 200);
      assert.equal(fromCli.workflowId, id);
      assert.equal(fromCli.status, 'NEEDS_REVIEW', `paysaga status ${id}`);
      assert.equal(fromRest.body.status, 'NEEDS_REVIEW', `GET ${id}`);
      const offered: string[] = fromCli.review?.actions ?? [];
      assert.deepEqual(fromRest.body.review?.actions, offered, 'the same offered actions');
      assert.ok(offered.length > 0, `${id} offers actions`);
      assert.equal(fromCli.review.reason, fromRest.body.review.reason);
      assert.match(fromCli.review.reason, c.reason);
      assert.equal(
        fromCli.review.activity,
        undefined,
        'parked by the saga, not by an activity failing for good',
      );
      for (const a of offered)
        assert.ok(
          (SAGAS[c.saga].reviewActions as readonly string[]).includes(a),
          `${a} is one of ${c.saga}'s review actions`,
        );
      return offered;
    }

    /** An action this payment does not offer (its own saga's first, else another saga's). */
    function notOffered(c: SagaCase, offered: string[]): string {
      return [...SAGAS[c.saga].reviewActions, ...ALL_REVIEW_ACTIONS].find((a) => !offered.includes(a))!;
    }

    async function refusedOverRest(id: string, action: string, offered: string[]): Promise<void> {
      const res = await restReview(id, { action, operator: OPERATOR, note: 'trying what is not offered' });
      assert.equal(res.status, 409, `REST review ${id} --action ${action}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error, /action must be one of/);
      for (const a of offered)
        assert.ok(res.body.error.includes(a), `the refusal names ${a}: ${res.body.error}`);
    }

    async function refusedByCli(id: string, action: string, offered: string[]): Promise<void> {
      const res = await paysaga(stack, [
        'review',
        id,
        '--action',
        action,
        '--operator',
        OPERATOR,
        '--note',
        'trying what is not offered',
      ]);
      assert.notEqual(res.code, 0, `paysaga review ${id} --action ${action} must fail: ${res.stdout}`);
      assert.match(res.stderr, /action must be one of/);
      for (const a of offered) assert.ok(res.stderr.includes(a), `the refusal names ${a}: ${res.stderr}`);
    }

    function assertFinal(c: SagaCase, r: Resolution, v: any, how: string): void {
      assert.equal(v.status, r.final, `${how} ${r.action}: ${JSON.stringify(v.timeline?.at(-1))}`);
      assert.ok(
        (SAGAS[c.saga].finalStatuses as readonly string[]).includes(v.status),
        `${v.status} is final`,
      );
      assert.equal(v.review, undefined, 'no review left');
      assert.equal(v.resolution?.action, r.action);
      assert.equal(v.resolution?.operator, OPERATOR);
    }

    for (const c of cases) {
      it(
        `${c.saga} (${c.how}): status and review from the CLI and over REST`,
        { timeout: 180_000 },
        async () => {
          const [cliId, restId] = await Promise.all(c.park.map((park) => park()));

          const [cliOffered, restOffered] = await Promise.all([
            sameStatusBothWays(c, cliId!),
            sameStatusBothWays(c, restId!),
          ]);
          assert.ok(cliOffered.includes(c.cli.action), `${cliId} offers ${c.cli.action}: ${cliOffered}`);
          assert.ok(restOffered.includes(c.rest.action), `${restId} offers ${c.rest.action}: ${restOffered}`);

          // Refused before anything is applied: the payments stay parked.
          await Promise.all([
            refusedByCli(cliId!, notOffered(c, cliOffered), cliOffered),
            refusedOverRest(restId!, notOffered(c, restOffered), restOffered),
          ]);

          const note = `checked with the provider for ${c.saga}, ticket 42`;
          const [fromCli, fromRest] = await Promise.all([
            paysagaJson(stack, [
              'review',
              cliId!,
              '--action',
              c.cli.action,
              '--operator',
              OPERATOR,
              '--note',
              note,
              ...(c.cli.sn ? ['--sn', c.cli.sn] : []),
            ]),
            restReview(restId!, { action: c.rest.action, operator: OPERATOR, note, sn: c.rest.sn }),
          ]);
          assertFinal(c, c.cli, fromCli, 'paysaga review');
          expectOk(fromRest, `REST review ${restId}`, 200);
          assertFinal(c, c.rest, fromRest.body, 'REST review');
          if (c.cli.sn) assert.equal(fromCli.sn, c.cli.sn, 'the confirmed serial number is kept');

          // Each path reads what the other applied; a second resolution is refused.
          const [cliAfter, restAfter] = await Promise.all([
            paysagaJson(stack, ['status', restId!]),
            view(cliId!),
          ]);
          assert.equal(cliAfter.status, c.rest.final);
          assert.equal(restAfter.body.status, c.cli.final);
          const again = await restReview(cliId!, { action: c.cli.action, operator: OPERATOR, note });
          assert.equal(again.status, 409, JSON.stringify(again.body));
        },
      );
    }

    it(
      'update-with-start: a transfer answers with its instructions, a postpaid purchase with its bill, in the start call',
      { timeout: 120_000 },
      async () => {
        const transferOrder = `OPS-UWS-${next()}`;
        const transfer = {
          orderId: transferOrder,
          method: 'klink-va',
          amount: 150_000,
          customer,
          bankCode: '014',
          productCode: 'BCAATM',
        };
        const purchase = {
          orderId: `OPS-UWS-P-${next()}`,
          kind: 'postpaid',
          productCode: 'INQPLN',
          destination: '512345678901',
        };
        const [t1, p1] = await Promise.all([
          http('POST', `${stack.gatewayUrl}/v1/transfers`, transfer),
          http('POST', `${stack.gatewayUrl}/v1/ppob/purchases`, purchase),
        ]);

        // The first answer is in the start's own response: nothing was polled.
        expectOk(t1, 'transfer start', 201);
        assert.equal(t1.body.workflowId, `transfer-${transferOrder}`);
        assert.equal(t1.body.status, 'AWAITING_PAYMENT');
        assert.ok(t1.body.instructions?.amountToPay >= 150_000, JSON.stringify(t1.body));
        assert.match(String(t1.body.instructions.vaNumber), /^\d+$/);
        expectOk(p1, 'postpaid start', 201);
        assert.equal(p1.body.status, 'AWAITING_CONFIRMATION');
        assert.ok(p1.body.bill?.amount > 0, JSON.stringify(p1.body));
        assert.ok(p1.body.bill.inqId);
        assert.equal(typeof p1.body.refid, 'number');

        // The same start again (REST, and the CLI through the same client) finds the same payment
        // and answers the same instructions / bill.
        const [t2, p2, tCli, pCli] = await Promise.all([
          http('POST', `${stack.gatewayUrl}/v1/transfers`, transfer),
          http('POST', `${stack.gatewayUrl}/v1/ppob/purchases`, purchase),
          paysagaJson(stack, [
            'transfer',
            'start',
            '--order',
            transferOrder,
            '--method',
            'klink-va',
            '--amount',
            '150000',
            '--name',
            customer.fullname,
            '--phone',
            customer.phone,
            '--email',
            customer.email,
            '--bank',
            '014',
            '--product',
            'BCAATM',
          ]),
          paysagaJson(stack, [
            'ppob',
            'buy',
            '--order',
            purchase.orderId,
            '--kind',
            'postpaid',
            '--product',
            purchase.productCode,
            '--dest',
            purchase.destination,
          ]),
        ]);
        expectOk(t2, 'transfer start again', 201);
        assert.equal(t2.body.workflowId, t1.body.workflowId);
        assert.deepEqual(t2.body.instructions, t1.body.instructions);
        assert.equal(tCli.workflowId, t1.body.workflowId);
        assert.deepEqual(tCli.instructions, t1.body.instructions);
        expectOk(p2, 'postpaid start again', 201);
        assert.equal(p2.body.workflowId, p1.body.workflowId);
        assert.equal(p2.body.refid, p1.body.refid);
        assert.deepEqual(p2.body.bill, p1.body.bill);
        assert.equal(pCli.workflowId, p1.body.workflowId);
        assert.deepEqual(pCli.bill, p1.body.bill);

        // One payment each: the repeats started nothing new.
        const [tView, pView] = await Promise.all([view(t1.body.workflowId), view(p1.body.workflowId)]);
        assert.equal(tView.body.status, 'AWAITING_PAYMENT');
        assert.deepEqual(tView.body.instructions, t1.body.instructions);
        assert.equal(pView.body.status, 'AWAITING_CONFIRMATION');

        // Once the payment has ended, the same start answers its final view: never a second payment.
        expectOk(await control('klink/customer-pays', { order_id: transferOrder }), 'pay the VA');
        await waitForStatus(t1.body.workflowId, 'PAID', 30_000);
        const t3 = await http('POST', `${stack.gatewayUrl}/v1/transfers`, transfer);
        expectOk(t3, 'transfer start after it ended', 201);
        assert.equal(t3.body.workflowId, t1.body.workflowId);
        assert.equal(t3.body.status, 'PAID');
        assert.deepEqual(t3.body.instructions, t1.body.instructions);
      },
    );
  },
);
