/**
 * The gateway's "already counted" rules for reports reaching a closed payment, and the
 * secure-by-default start rule. Pure functions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  aliKassaReference,
  payoutNotificationCounted,
  ppobCallbackCounted,
  transferCounted,
} from '../../gateway/already-counted';
import { isLoopback, requireTokensWhenExposed } from '../../gateway/secure-start';
import { ConfigError } from '../../common/config';

describe('already counted by a closed payment', () => {
  const webhook = { provider: 'klink' as const, reference: 'rq-1', status: 'success' };
  const closedTransfer = {
    webhooks: [{ ...webhook, orderId: 'o', success: true, receivedAt: '2026-01-01T00:00:00Z' }],
  };

  it('a transfer: the same provider, reference and word only', () => {
    assert.equal(transferCounted(closedTransfer, webhook), true);
    assert.equal(transferCounted(closedTransfer, { ...webhook, reference: 'rq-2' }), false);
    assert.equal(transferCounted(closedTransfer, { ...webhook, provider: 'alikassa' }), false);
    assert.equal(transferCounted({ webhooks: [] }, webhook), false);
    // GoPay: fail, then success under the same id_trans is news.
    assert.equal(transferCounted(closedTransfer, { ...webhook, status: 'fail' }), false);
  });

  it('PPOB: a callback agreeing with the end; another sn, a contradiction or a non-final word is news', () => {
    const succeeded = { status: 'SUCCEEDED' as const, sn: 'SN1' };
    assert.equal(ppobCallbackCounted(succeeded, { status: 'Success', sn: 'SN1' }), true);
    assert.equal(ppobCallbackCounted(succeeded, { status: 'success' }), true);
    assert.equal(ppobCallbackCounted(succeeded, { status: 'Success', sn: 'SN2' }), false);
    assert.equal(ppobCallbackCounted(succeeded, { status: 'Failed' }), false);
    assert.equal(ppobCallbackCounted(succeeded, { status: 'Pending' }), false);
    assert.equal(ppobCallbackCounted({ status: 'REFUNDED' }, { status: 'Failed' }), true);
    assert.equal(ppobCallbackCounted({ status: 'REFUNDED' }, { status: 'Success', sn: 'SN1' }), false);
    assert.equal(ppobCallbackCounted({ status: 'FAILED' }, { status: 'Gagal' }), false);
  });

  it("a payout: AliKassa's id and its last word", () => {
    const view = { providerId: '77', providerStatus: 'paid' };
    assert.equal(payoutNotificationCounted(view, { reference: aliKassaReference('77', 'paid') }), true);
    assert.equal(payoutNotificationCounted(view, { reference: aliKassaReference('77', 'wait') }), false);
    assert.equal(payoutNotificationCounted({}, { reference: aliKassaReference('77', 'paid') }), false);
  });
});

describe('secure by default', () => {
  it('loopback is 127.0.0.0/8, ::1 and localhost only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])
      assert.equal(isLoopback(h), true, h);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '127.example.com', '128.0.0.1'])
      assert.equal(isLoopback(h), false, h);
  });

  it('an exposed or production gateway needs both tokens; one line names what is missing', () => {
    const token = 'x'.repeat(16);
    assert.doesNotThrow(() => requireTokensWhenExposed({ GATEWAY_HOST: '127.0.0.1' }));
    assert.throws(
      () => requireTokensWhenExposed({ GATEWAY_HOST: '0.0.0.0', GATEWAY_API_TOKEN: token }),
      (err: Error) =>
        err instanceof ConfigError &&
        /PAYSAGA_CODEC_AUTH_TOKEN required \(GATEWAY_HOST=0\.0\.0\.0/.test(err.message) &&
        !err.message.includes('\n') &&
        !err.message.includes(token),
    );
    assert.throws(
      () => requireTokensWhenExposed({ GATEWAY_HOST: 'localhost', NODE_ENV: 'production' }),
      /GATEWAY_API_TOKEN and PAYSAGA_CODEC_AUTH_TOKEN required \(NODE_ENV=production\)/,
    );
    assert.doesNotThrow(() =>
      requireTokensWhenExposed({
        GATEWAY_HOST: '0.0.0.0',
        NODE_ENV: 'production',
        GATEWAY_API_TOKEN: token,
        PAYSAGA_CODEC_AUTH_TOKEN: token,
      }),
    );
  });
});
