/**
 * The K-Link client against the K-Link sandbox over real HTTP: every endpoint of the document,
 * the session (one login for many calls), and the K-Wallet pay activity's settlement by
 * reconcile. The two sides were written apart from the document, so they can disagree here.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { createKLinkActivities, type KWalletPayOutcome } from '../../activities/klink';
import { createKLinkClient, type KLinkClient } from '../../providers/klink/client';
import { ProviderRejection } from '../../providers/http/errors';
import { buildSandboxServer } from '../../sandbox/server';
import { http } from '../helpers/http';

const EMAIL = 'ops@merchant.test';
const PASSWORD = 'klink-test-password-123';

describe('K-Link client against the sandbox (HTTP)', () => {
  let sandbox: FastifyInstance;
  let base: string;
  let client: KLinkClient;

  before(async () => {
    sandbox = await buildSandboxServer({
      prakerja: { clientCode: 'unused', signKey: 'unused-sign-key-000' },
      klink: { email: EMAIL, password: PASSWORD, pidKey: 'pid-key-test' },
    });
    await sandbox.listen({ host: '127.0.0.1', port: 0 });
    const address = sandbox.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await sandbox?.close();
  });
  beforeEach(async () => {
    await http('POST', `${base}/_control/reset`);
    client = createKLinkClient({
      baseUrl: `${base}/klink`,
      email: EMAIL,
      password: PASSWORD,
      timeoutMs: 5000,
    });
  });

  const fund = (id: string, balance: number) =>
    http('POST', `${base}/_control/klink/members`, { id_member: id, balance });
  const balanceOf = async (id: string) =>
    (await http('GET', `${base}/_control/klink/members/${id}`)).body.balance as number;
  const stats = async () => (await http('GET', `${base}/_control/klink/stats`)).body;
  const ledger = async () => (await http('GET', `${base}/_control/klink/ledger`)).body;

  it('calls every K-Wallet endpoint and reads its answer', async () => {
    const va = await client.registerVa({
      idMember: 'm1',
      name: 'Muammar',
      hp: '085736064900',
      email: 'm@example.test',
    });
    assert.ok(va.accounts.length >= 6 && va.accounts.every((a) => a.ok && /^\d+$/.test(a.vaNumber ?? '')));
    await fund('m1', 500_000);
    await fund('m2', 0);
    assert.equal((await client.checkBalance({ idMember: 'm1' })).balance, 500_000);
    await client.transfer({
      idMemberSend: 'm1',
      idMemberReceipt: 'm2',
      amount: 100_000,
      description: 'uang makan',
    }); // answers "stutas"
    await client.voucherTopUp({
      voucherCode: 'VCH-1',
      idMemberReceipt: 'm2',
      amount: 10_000,
      description: 'voucher',
    });
    await client.pay({
      idMember: 'm1',
      amount: 90_000,
      idOrder: 'ORD-1',
      description: 'Pembelian Paket Klorofil',
    });
    const rec = await client.reconcile({ idOrder: 'ORD-1' });
    assert.equal(rec?.credit, 90_000);
    assert.equal(rec?.idMember, 'm1');
    assert.equal(await client.reconcile({ idOrder: 'NOPE' }), undefined);
    const hist = await client.history({ idMember: 'm1' });
    assert.ok(hist.transactions.length >= 3, 'seed, transfer and pay in the JSON-in-a-string history');
    assert.equal((await client.checkBalance({ idMember: 'm1' })).balance, 310_000);
    assert.equal((await client.checkBalance({ idMember: 'm2' })).balance, 110_000);

    const candidates = await client.escrowRefund({ idOrder: 'ORD-1', idMember: 'm1' });
    assert.equal(candidates.length, 1);
    assert.equal(candidates[0]!.credit, 90_000);
    const accepted = await client.refundAccept({
      idOrder: 'ORD-1',
      idMember: 'm1',
      idTrans: candidates[0]!.idTrans,
      note: 'dokter tidak standby',
    });
    assert.equal(accepted.outcome, 'refunded');
    const again = await client.refundAccept({
      idOrder: 'ORD-1',
      idMember: 'm1',
      idTrans: candidates[0]!.idTrans,
      note: 'again',
    });
    assert.equal(again.outcome, 'already-refunded');
    assert.equal(again.outcome === 'already-refunded' && Number(again.idTrans), candidates[0]!.idTrans);
    assert.equal((await client.checkBalance({ idMember: 'm1' })).balance, 400_000, 'refunded exactly once');
    assert.equal((await ledger()).balanced, true);
  });

  it('refuses what K-Link refuses: repeated id_order, insufficient balance (nothing moves)', async () => {
    await fund('m1', 50_000);
    await client.pay({ idMember: 'm1', amount: 40_000, idOrder: 'ORD-2', description: 'x' });
    await assert.rejects(
      client.pay({ idMember: 'm1', amount: 40_000, idOrder: 'ORD-2', description: 'x' }),
      (e: unknown) => e instanceof ProviderRejection && e.code === 'ORDER_EXISTS',
    );
    await assert.rejects(
      client.pay({ idMember: 'm1', amount: 40_000, idOrder: 'ORD-3', description: 'x' }),
      (e: unknown) => e instanceof ProviderRejection && e.code === 'INSUFFICIENT_BALANCE',
    );
    assert.equal(await balanceOf('m1'), 10_000);
    assert.equal((await ledger()).balanced, true);
  });

  it('calls every service-payment endpoint: list bank, VA / manual / card pay_service, GoPay via Midtrans', async () => {
    const banks = await client.listBank();
    assert.ok(banks.length >= 3);
    const order = (n: string) => ({
      rqUuid: `rq-${n}`,
      orderId: `SP-${n}`,
      noHp: '0812',
      fullname: 'Budi',
      email: 'b@example.test',
      nominal: 150_000,
      payShip: 10_000,
    });
    const byProduct = (code: string) => banks.find((b) => b.productCode === code)!;
    const va = await client.payService({
      ...order('va'),
      bankCode: byProduct('BCAATM').bankCode,
      productCode: 'BCAATM',
    });
    assert.equal(va.kind, 'va');
    const manual = await client.payService({
      ...order('man'),
      bankCode: byProduct('MANDIRIMANUAL').bankCode,
      productCode: 'MANDIRIMANUAL',
    });
    assert.equal(manual.kind, 'manual');
    if (manual.kind === 'manual') {
      assert.ok(manual.kodeUnik >= 1 && manual.kodeUnik <= 2000);
      assert.equal(manual.totalBayar, 160_000 + manual.kodeUnik);
    }
    const card = await client.payService({
      ...order('cc'),
      bankCode: byProduct('MANDIRICC').bankCode,
      productCode: 'MANDIRICC',
    });
    assert.equal(card.kind, 'redirect');
    await assert.rejects(
      client.payService({ ...order('bad'), bankCode: '999', productCode: 'NOPE' }),
      (e: unknown) => e instanceof ProviderRejection && e.code === 'BANK_CODE_INVALID',
    );

    const gopayBanks = await client.listBankMidtrans({ nominal: 1500, payShip: 500 });
    assert.ok(gopayBanks.length >= 1);
    const gopay = await client.payServiceMidtrans({
      ...order('gp'),
      nominal: 1500,
      payShip: 500,
      bankCode: gopayBanks[0]!.bankCode,
      productCode: gopayBanks[0]!.productCode,
    });
    assert.equal(gopay.statusCode, '201');
    assert.equal(gopay.grossAmount, 2000);
    assert.ok(
      gopay.actions.some((a) => /qr/i.test(a.name)) && gopay.actions.some((a) => /deeplink/i.test(a.name)),
    );
  });

  it('logs in once for 100 K-Wallet calls, and once more after the tokens are expired', async () => {
    await fund('m1', 1_000);
    for (let i = 0; i < 100; i++) await client.checkBalance({ idMember: 'm1' });
    assert.equal((await stats()).logins, 1);
    await http('POST', `${base}/_control/klink/expire-tokens`);
    for (let i = 0; i < 100; i++) await client.checkBalance({ idMember: 'm1' });
    assert.equal((await stats()).logins, 2);
  });

  it('K-Wallet pay activity: a pay whose answer was lost is settled by reconcile, never paid twice', async () => {
    await fund('m1', 100_000);
    // The sandbox commits the debit, then holds the answer past the client's timeout.
    await http('POST', `${base}/_control/faults`, {
      route: 'klink.pay',
      mode: 'timeout-after-commit',
      ms: 3000,
      match: { id_order: 'ORD-LOST' },
    });
    const slow = createKLinkClient({
      baseUrl: `${base}/klink`,
      email: EMAIL,
      password: PASSWORD,
      timeoutMs: 1000,
    });
    const activities = createKLinkActivities(slow);
    const input = { idMember: 'm1', amount: 60_000, idOrder: 'ORD-LOST', description: 'paket' };
    const outcome = await new MockActivityEnvironment().run(activities.klinkPay, input);
    assert.deepEqual(outcome, { outcome: 'paid', settledBy: 'reconcile' });

    // A retried attempt (the worker died after paying) looks first and does not pay again.
    const retried = await new MockActivityEnvironment({ attempt: 2 }).run(activities.klinkPay, input);
    assert.deepEqual(retried, { outcome: 'paid', settledBy: 'reconcile' });
    const s = await stats();
    assert.equal(s.byOrder['ORD-LOST'].pays, 1);
    assert.equal(s.byOrder['ORD-LOST'].payRequests, 1, 'the retry did not send a second pay');
    assert.equal(await balanceOf('m1'), 40_000);
    assert.equal((await ledger()).balanced, true);
  });

  it('K-Wallet pay activity: declined and conflicting outcomes are told apart', async () => {
    await fund('m1', 10_000);
    await fund('m2', 100_000);
    const activities = createKLinkActivities(client);
    const env = new MockActivityEnvironment();
    const declined: KWalletPayOutcome = await env.run(activities.klinkPay, {
      idMember: 'm1',
      amount: 60_000,
      idOrder: 'ORD-D',
      description: 'x',
    });
    assert.equal(declined.outcome, 'declined');
    await client.pay({ idMember: 'm2', amount: 5_000, idOrder: 'ORD-C', description: 'someone else' });
    const conflict: KWalletPayOutcome = await env.run(activities.klinkPay, {
      idMember: 'm1',
      amount: 5_000,
      idOrder: 'ORD-C',
      description: 'x',
    });
    assert.equal(conflict.outcome, 'conflict');
    assert.equal(await balanceOf('m1'), 10_000);
  });
});
