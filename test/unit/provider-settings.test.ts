/** The one reading of provider settings shared by the worker, the gateway and `npm start`. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../common/config';
import { configuredProviders } from '../../common/provider-settings';

const ppobWorker = {
  PPOB_BASE_URL: 'https://ppob.example.test',
  PPOB_USERNAME: 'shop',
  PPOB_TOKEN: 'tok-3f9a1c',
};

describe('configuredProviders', () => {
  it('nothing set: no provider configured (the sandbox, or "not configured")', () => {
    assert.deepEqual([...configuredProviders({ PATH: '/bin' }, ['worker', 'gateway'])], []);
  });

  it('a worker needs its own variables only; npm start needs the gateway side too', () => {
    assert.deepEqual([...configuredProviders(ppobWorker, ['worker'])], ['ppob']);
    assert.throws(
      () => configuredProviders(ppobWorker, ['worker', 'gateway']),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message ===
          "configuration: PPOB is half-configured: PPOB_BASE_URL, PPOB_USERNAME, PPOB_TOKEN set but PPOB_CALLBACK_SECRET missing (set all of a provider's variables, or none)",
    );
    const full = { ...ppobWorker, PPOB_CALLBACK_SECRET: 'cb-secret-0123456789' };
    assert.deepEqual([...configuredProviders(full, ['worker', 'gateway'])], ['ppob']);
  });

  it('a gateway started with only its webhook key is not asked for the worker credentials', () => {
    assert.deepEqual([...configuredProviders({ KLINK_WEBHOOK_KEY: 'pid-key-123' }, ['gateway'])], ['klink']);
  });

  it('an optional variable alone still names its provider (MIDTRANS_SERVER_KEY is K-Link)', () => {
    assert.throws(
      () => configuredProviders({ MIDTRANS_SERVER_KEY: 'SB-Mid-server-x' }, ['worker']),
      /K-Link is half-configured: MIDTRANS_SERVER_KEY set but KLINK_BASE_URL, KLINK_EMAIL, KLINK_PASSWORD missing/,
    );
  });

  it('empty values count as unset; every half-configured provider in one line; never a value', () => {
    assert.deepEqual([...configuredProviders({ PPOB_BASE_URL: '', PRAKERJA_SIGN_KEY: '' }, ['worker'])], []);
    try {
      configuredProviders(
        { PPOB_TOKEN: 'tok-3f9a1c', ALIKASSA_ACCOUNT: '0b6a3d55-8e43-4e0e-9d1c-5a2b7f3e9c11' },
        ['worker'],
      );
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message.split('\n').length, 1);
      assert.match(
        err.message,
        /PPOB is half-configured: PPOB_TOKEN set but PPOB_BASE_URL, PPOB_USERNAME missing; /,
      );
      assert.match(
        err.message,
        /AliKassa is half-configured: ALIKASSA_ACCOUNT set but ALIKASSA_BASE_URL, ALIKASSA_PRIVATE_KEY missing/,
      );
      assert.doesNotMatch(err.message, /tok-3f9a1c|0b6a3d55/);
    }
  });
});
