/**
 * The gateway under attack, whole stack (Temporal, sandbox, worker, gateway as processes over
 * real HTTP): OTP guessing across payments of one token is bounded by the OTP budget, one
 * invoice's guesses are bounded whatever maxOtpAttempts says, and /v1 answers 429 past the
 * per-client rate limit while webhooks are not limited.
 *
 * The stack runs with small limits through the environment: 6 OTPs per token, 4 per invoice,
 * 60 requests a minute on /v1. The OTP part makes about 20 /v1 requests, well under the limit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../../scripts/stack';
import { http } from '../helpers/http';

const PER_TOKEN = 6;
const PER_INVOICE = 4;
const RATE_LIMIT = 60;
const quiet = () => undefined;
let seq = 0;

describe('OTP budget and REST rate limit (whole stack over HTTP)', () => {
  let stack: Stack;
  const dataDir = mkdtempSync(join(tmpdir(), 'paysaga-e2e-budget-'));

  before(async () => {
    stack = await startStack({
      dataDir,
      log: quiet,
      env: {
        PRAKERJA_OTP_BUDGET_PER_TOKEN: String(PER_TOKEN),
        PRAKERJA_OTP_BUDGET_PER_INVOICE: String(PER_INVOICE),
        GATEWAY_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  async function newToken(): Promise<{ paymentToken: string; otp: string }> {
    const token = await http('POST', `${stack.sandboxUrl}/_control/prakerja/tokens`, {
      amount: 20000,
      prakerja_name: 'Peserta Budget',
    });
    assert.equal(token.status, 201);
    return { paymentToken: token.body.payment_token, otp: token.body.otp };
  }

  async function start(
    paymentToken: string,
    maxOtpAttempts: number,
  ): Promise<{ id: string; invoice: string }> {
    const invoice = `BUDGET-${process.pid}-${++seq}`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/prakerja/payments`, {
      invoiceCode: invoice,
      invoiceUrl: `https://lp.example/invoices/${invoice}`,
      paymentToken,
      amount: 20000,
      orderId: `ORD-${invoice}`,
      maxOtpAttempts,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.workflowId, invoice };
  }

  const otp = (id: string, value: string) =>
    http('POST', `${stack.gatewayUrl}/v1/payments/${id}/otp`, { otp: value });
  const wrongFor = (right: string) => (right === '000000' ? '111111' : '000000');

  async function authorizeRequests(invoice: string): Promise<number> {
    const stats = await http('GET', `${stack.sandboxUrl}/_control/prakerja/stats`);
    return stats.body.byInvoice[invoice]?.authorizeRequests ?? 0;
  }

  it('one token: wrong OTPs across two payments spend its budget; a third payment is refused (409) even with the right OTP, and Prakerja never sees it', async () => {
    const token = await newToken();
    const wrong = wrongFor(token.otp);
    const payments = [await start(token.paymentToken, 3), await start(token.paymentToken, 3)];
    for (const p of payments) {
      for (let i = 0; i < 3; i++) {
        const res = await otp(p.id, wrong);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.reason, 'wrong-otp');
      }
      assert.equal(await authorizeRequests(p.invoice), 3);
    }

    const third = await start(token.paymentToken, 3);
    const refused = await otp(third.id, token.otp);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(
      refused.body.error,
      new RegExp(`^otp-budget-exhausted: this payment token has used its ${PER_TOKEN} OTP attempts`),
    );
    assert.ok(!JSON.stringify(refused.body).includes(token.paymentToken), 'the token is never echoed');
    assert.equal(await authorizeRequests(third.invoice), 0, 'nothing was sent to Prakerja');
    const view = await http('GET', `${stack.gatewayUrl}/v1/payments/${third.id}`);
    assert.equal(view.body.status, 'FAILED');
    assert.match(view.body.timeline.at(-1).note, /otp-budget-exhausted/);
    // A payment that has ended answers a further OTP with 409 as well.
    assert.equal((await otp(third.id, token.otp)).status, 409);
  });

  it('one invoice: its budget caps the guesses below the maxOtpAttempts its caller asked for', async () => {
    const token = await newToken();
    const p = await start(token.paymentToken, 10);
    for (let i = 0; i < PER_INVOICE; i++)
      assert.equal((await otp(p.id, wrongFor(token.otp))).body.reason, 'wrong-otp');
    const refused = await otp(p.id, token.otp);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.error, /^otp-budget-exhausted: this invoice has used its 4 OTP attempts/);
    assert.equal(await authorizeRequests(p.invoice), PER_INVOICE);
  });

  it('REST: past the per-client limit /v1 answers 429 with Retry-After and a message; webhooks and /healthz are not limited', async () => {
    let limited;
    // A window may turn over during the loop; two windows' worth always reaches the limit.
    for (let i = 0; i < 2 * RATE_LIMIT + 2 && !limited; i++) {
      const res = await http('GET', `${stack.gatewayUrl}/v1/payments/prakerja-no-such-invoice`);
      assert.ok(res.status < 500, `no 5xx: ${res.status}`);
      if (res.status === 429) limited = res;
    }
    assert.ok(limited, 'a 429 came');
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
      `Retry-After ${retryAfter}`,
    );
    assert.match(
      limited.body.error,
      new RegExp(`more than ${RATE_LIMIT} requests per minute from this client`),
    );
    assert.equal(limited.headers['x-ratelimit-remaining'], '0');
    // Every /v1 route shares the client's limit, a start included.
    assert.equal((await http('POST', `${stack.gatewayUrl}/v1/prakerja/payments`, {})).status, 429);

    const webhook = await http('POST', `${stack.gatewayUrl}/webhooks/klink/settlement`, { forged: true });
    assert.notEqual(webhook.status, 429, 'providers retry: their webhooks are not rate-limited');
    assert.ok(webhook.status < 500);
    assert.equal((await http('GET', `${stack.gatewayUrl}/healthz`)).status, 200);
  });
});
