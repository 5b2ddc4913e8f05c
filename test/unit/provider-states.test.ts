/**
 * The provider states modules: each provider's status words in the engine's words, an unknown
 * word `unknown` (it parks: never failure, never "not yet"), and results recorded before the
 * kernel read compatibly (old histories replay through these functions).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALIKASSA_STATUS_WORDS,
  aliKassaProviderState,
  readAliKassaState,
} from '../../providers/alikassa/states';
import {
  klinkWebhookState,
  MIDTRANS_TRANSACTION_STATUS_WORDS,
  midtransState,
  readMidtransState,
} from '../../providers/klink/states';
import { PROVIDER_STATES } from '../../workflows/saga-definitions';

describe('AliKassa states', () => {
  it('maps the words of AliKassa’s public pages, and nothing else', () => {
    assert.deepEqual(ALIKASSA_STATUS_WORDS, {
      wait: 'pending',
      paid: 'paid',
      cancel: 'failed',
      fail: 'failed',
    });
    assert.equal(aliKassaProviderState('wait'), 'pending');
    assert.equal(aliKassaProviderState('paid'), 'paid');
    assert.equal(aliKassaProviderState(' Paid '), 'paid', 'read as the client reads it: trimmed, lower case');
    assert.equal(aliKassaProviderState('cancel'), 'failed');
    assert.equal(aliKassaProviderState('fail'), 'failed');
  });

  it('an unknown word is unknown: never failed, never pending', () => {
    // `success` was paysaga's own word for paid, never AliKassa's.
    for (const word of [
      'success',
      'refund',
      'partially_paid',
      'processing',
      '',
      'toString',
      '__proto__',
      undefined,
    ])
      assert.equal(aliKassaProviderState(word), 'unknown', String(word));
  });

  it('reads results of any release: today’s state, the pre-kernel states, or the word', () => {
    assert.equal(readAliKassaState({ state: 'paid', status: 'success' }), 'paid');
    assert.equal(readAliKassaState({ state: 'succeeded', status: 'success' }), 'paid');
    assert.equal(readAliKassaState({ state: 'needs-review', status: 'refund' }), 'unknown');
    assert.equal(readAliKassaState({ state: 'failed', status: 'cancel' }), 'failed');
    assert.equal(readAliKassaState({ state: 'pending', status: 'wait' }), 'pending');
    // Recorded results keep the state they were acted on, whatever today's reading of their word.
    assert.equal(readAliKassaState({ state: 'paid', status: 'success' }), 'paid');
    assert.equal(readAliKassaState({ status: 'paid' }), 'paid', 'no state: today’s reading of the word');
    assert.equal(readAliKassaState({ status: 'success' }), 'unknown');
    assert.equal(readAliKassaState({ status: 'refund' }), 'unknown');
    assert.equal(readAliKassaState({}), 'unknown');
  });
});

describe('Midtrans (GoPay) states', () => {
  it('maps transaction_status words', () => {
    const expected = {
      settlement: 'paid',
      capture: 'paid',
      pending: 'pending',
      cancel: 'failed',
      expire: 'failed',
      deny: 'failed',
    };
    assert.deepEqual(MIDTRANS_TRANSACTION_STATUS_WORDS, expected);
    for (const [word, state] of Object.entries(expected)) {
      assert.equal(midtransState(word), state, word);
      assert.equal(midtransState(word.toUpperCase()), state, `${word} in capitals`);
    }
  });

  it('an unknown word is unknown', () => {
    for (const word of [
      'failure',
      'refund',
      'partial_refund',
      'authorize',
      'chargeback',
      '',
      'constructor',
      undefined,
    ])
      assert.equal(midtransState(word), 'unknown', String(word));
  });

  it('reads results of any release: pre-kernel cancelled is failed', () => {
    assert.equal(readMidtransState({ state: 'cancelled', transactionStatus: 'expire' }), 'failed');
    assert.equal(readMidtransState({ state: 'paid', transactionStatus: 'settlement' }), 'paid');
    assert.equal(readMidtransState({ state: 'pending' }), 'pending');
    assert.equal(readMidtransState({ state: 'unknown', transactionStatus: 'refund' }), 'unknown');
    assert.equal(readMidtransState({ transactionStatus: 'deny' }), 'failed');
  });

  it('every state either module gives is an engine state', () => {
    for (const s of [
      ...Object.values(MIDTRANS_TRANSACTION_STATUS_WORDS),
      ...Object.values(ALIKASSA_STATUS_WORDS),
    ])
      assert.ok((PROVIDER_STATES as readonly string[]).includes(s), s);
  });
});

describe('K-Link webhook states', () => {
  it('success is paid, fail/failed are not, any other word is unknown (parks)', () => {
    assert.equal(klinkWebhookState('success'), 'paid');
    assert.equal(klinkWebhookState(' SUCCESS '), 'paid');
    assert.equal(klinkWebhookState('failed'), 'failed');
    assert.equal(klinkWebhookState('fail'), 'failed');
    for (const word of ['settled', 'sukses', 'pending', '', 'paid'])
      assert.equal(klinkWebhookState(word), 'unknown', word);
  });
});
