/**
 * `paysaga` command parsing, without Temporal: each start command sends every option the REST
 * front takes (the keys of client/inputs.ts schemas, walked here), what it sends passes that
 * schema, and no amount of money is ever defaulted: a missing or malformed one is refused with
 * exit code 2 before anything is sent.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { z } from 'zod';
import { buildCli, type ClientRunner } from '../../client/cli';
import {
  ConfirmBillInput,
  parseInput,
  StartPayoutInput,
  StartKWalletTransferInput,
  KWalletVoucherInput,
  StartPpobPurchaseInput,
  StartPrakerjaPaymentInput,
  StartTransferInput,
} from '../../client/inputs';
import type { PaysagaClient } from '../../client/paysaga-client';

interface Run {
  calls: Array<{ method: string; args: unknown[] }>;
  stderr: string;
  /** Commander's exit code when it refused, or the error a command threw. */
  exitCode?: number;
  error?: Error;
}

/** Runs `paysaga <args>` in process with a client that records each call and checks it with the REST schema. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run: Run = { calls: [], stderr: '' };
  const schemas: Record<string, z.ZodType> = {
    startPrakerjaPayment: StartPrakerjaPaymentInput,
    startPpobPurchase: StartPpobPurchaseInput,
    startTransfer: StartTransferInput,
    startPayout: StartPayoutInput,
    startKWalletTransfer: StartKWalletTransferInput,
    klinkVoucher: KWalletVoucherInput,
  };
  const client = new Proxy(
    {},
    {
      get:
        (_t, method: string) =>
        async (...a: unknown[]) => {
          run.calls.push({ method, args: a });
          if (schemas[method]) parseInput(schemas[method], a[0]);
          if (method === 'confirmBill') parseInput(ConfirmBillInput, a[1]);
          return {};
        },
    },
  ) as PaysagaClient;
  const runner: ClientRunner = async (fn) => {
    await fn(client);
  };
  const program = buildCli(runner);
  const quiet = (c: Command): void => {
    c.configureOutput({ writeErr: (s) => (run.stderr += s), writeOut: () => undefined });
    c.commands.forEach(quiet);
  };
  quiet(program);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await program.parseAsync(['node', 'paysaga', ...args]);
  } catch (err) {
    if (err instanceof Error && 'exitCode' in err) run.exitCode = (err as { exitCode: number }).exitCode;
    else run.error = err as Error;
  } finally {
    process.env = saved;
  }
  return run;
}

/** Every key path of a zod object schema ("customer.ip", "fulfilment.maxAttempts"). */
function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  if (!(s instanceof z.ZodObject)) return [prefix];
  return Object.entries(s.shape).flatMap(([k, v]) =>
    v instanceof z.ZodArray ? [prefix + k] : keyPaths(v as z.ZodType, `${prefix}${k}.`),
  );
}
function sentPaths(value: unknown, prefix = ''): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => sentPaths(v, `${prefix}${k}.`));
}
const strip = (paths: string[]) => paths.map((p) => p.replace(/\.$/, '')).sort();

/** The one call a command made, its input checked by the REST schema. */
function sent(run: Run, method: string): Record<string, unknown> {
  assert.equal(run.error, undefined, String(run.error));
  assert.equal(run.exitCode, undefined, run.stderr);
  assert.equal(run.calls.length, 1);
  assert.equal(run.calls[0]!.method, method);
  return run.calls[0]!.args.at(-1) as Record<string, unknown>;
}

function refusedByCommander(run: Run, pattern: RegExp): void {
  assert.notEqual(run.exitCode, undefined, 'refused by the option parser');
  assert.match(run.stderr, pattern);
  assert.equal(run.calls.length, 0, 'nothing sent');
}

describe('paysaga CLI: every REST option, no silent money', () => {
  it('prakerja start sends every option the REST front takes', async () => {
    const run = await cli(
      [
        'prakerja',
        'start',
        '--invoice',
        'INV-1',
        '--invoice-url',
        'https://lp.example/inv/1',
        '--amount',
        '150000',
        '--order',
        'o-1',
        '--otp-timeout',
        '300',
        '--max-otp-attempts',
        '3',
        '--fulfilment-timeout',
        '20',
        '--fulfilment-attempts',
        '5',
      ],
      { PAYSAGA_PAYMENT_TOKEN: 'token-123456' },
    );
    const input = sent(run, 'startPrakerjaPayment');
    assert.deepEqual(strip(sentPaths(input)), strip(keyPaths(StartPrakerjaPaymentInput)));
    assert.deepEqual(input.fulfilment, { timeoutSeconds: 20, maxAttempts: 5 });
  });

  it('ppob buy sends every option; prepaid funding takes exactly --amount', async () => {
    const run = await cli([
      'ppob',
      'buy',
      '--order',
      'o-2',
      '--product',
      'S10',
      '--dest',
      '08123456789',
      '--member',
      'm-1',
      '--amount',
      '10500',
      '--confirm-timeout',
      '60',
      '--final-deadline',
      '600',
      '--poll',
      '3',
    ]);
    const input = sent(run, 'startPpobPurchase');
    assert.deepEqual(strip(sentPaths(input)), strip(keyPaths(StartPpobPurchaseInput)));
    assert.deepEqual(input.funding, { idMember: 'm-1', amount: 10500 });
    assert.equal(input.kind, 'prepaid');
  });

  it('ppob buy --member without --amount is an error, never 1 rupiah; --amount without --member too', async () => {
    const noAmount = await cli([
      'ppob',
      'buy',
      '--order',
      'o-3',
      '--product',
      'S10',
      '--dest',
      '0812345',
      '--member',
      'm-1',
    ]);
    assert.match(String(noAmount.error?.message), /--amount is required with --member/);
    assert.equal(noAmount.error?.name, 'PaysagaInputError', 'exit code 2: input refused');
    assert.equal(noAmount.calls.length, 0, 'nothing started');
    const noMember = await cli([
      'ppob',
      'buy',
      '--order',
      'o-4',
      '--product',
      'S10',
      '--dest',
      '0812345',
      '--amount',
      '5',
    ]);
    assert.match(String(noMember.error?.message), /give --member/);
    assert.equal(noMember.calls.length, 0);
  });

  it('ppob buy postpaid with --member funds the bill: no amount sent; an --amount is refused', async () => {
    const run = await cli([
      'ppob',
      'buy',
      '--kind',
      'postpaid',
      '--order',
      'o-5',
      '--product',
      'INQPLN',
      '--dest',
      '512345678901',
      '--member',
      'm-1',
    ]);
    assert.deepEqual(sent(run, 'startPpobPurchase').funding, { idMember: 'm-1' });
    const withAmount = await cli([
      'ppob',
      'buy',
      '--kind',
      'postpaid',
      '--order',
      'o-6',
      '--product',
      'INQPLN',
      '--dest',
      '512345678901',
      '--member',
      'm-1',
      '--amount',
      '1',
    ]);
    assert.match(String(withAmount.error?.message), /takes the bill the inquiry finds/);
    assert.equal(withAmount.calls.length, 0);
  });

  it('the REST front refuses a prepaid funding without an amount too', () => {
    assert.throws(
      () =>
        parseInput(StartPpobPurchaseInput, {
          orderId: 'o',
          kind: 'prepaid',
          productCode: 'S10',
          destination: '0812345',
          funding: { idMember: 'm' },
        }),
      /funding\.amount: required for a prepaid purchase/,
    );
  });

  it('klink transfer and voucher send every option of their REST schema (confirm delays included)', async () => {
    const transfer = await cli([
      'klink',
      'transfer',
      '--id',
      't-1',
      '--from',
      'M1',
      '--to',
      'M2',
      '--amount',
      '5000',
      '--description',
      'rent',
      '--confirm-delays',
      '1,5,20',
    ]);
    const t = sent(transfer, 'startKWalletTransfer');
    assert.deepEqual(t.confirmDelaysSeconds, [1, 5, 20]);
    assert.deepEqual(strip(sentPaths(t)), strip(keyPaths(StartKWalletTransferInput)));
    const voucher = await cli([
      'klink',
      'voucher',
      '--code',
      'V-1',
      '--member',
      'M1',
      '--amount',
      '10000',
      '--description',
      'gift',
      '--confirm-delays',
      '3',
    ]);
    const v = sent(voucher, 'klinkVoucher');
    assert.deepEqual(strip(sentPaths(v)), strip(keyPaths(KWalletVoucherInput)));
    refusedByCommander(
      await cli([
        'klink',
        'voucher',
        '--code',
        'V',
        '--member',
        'M',
        '--amount',
        '1',
        '--description',
        'd',
        '--confirm-delays',
        '2,x',
      ]),
      /comma-separated whole seconds/,
    );
  });

  it('ppob bill sends the operator', async () => {
    const run = await cli(['ppob', 'bill', 'ppob-o-1', '--decision', 'accept', '--operator', 'ana']);
    assert.deepEqual(sent(run, 'confirmBill'), { accept: true, operator: 'ana' });
  });

  it('transfer start sends every option (pay-ship, customer ip, expiry)', async () => {
    const run = await cli([
      'transfer',
      'start',
      '--order',
      'o-7',
      '--method',
      'klink-va',
      '--amount',
      '100000',
      '--pay-ship',
      '15000',
      '--name',
      'Budi',
      '--phone',
      '08123456789',
      '--email',
      'b@example.com',
      '--ip',
      '203.0.113.7',
      '--bank',
      'BNI',
      '--product',
      'P1',
      '--service',
      's',
      '--customer-code',
      'BCAVA',
      '--expiry',
      '3600',
    ]);
    const input = sent(run, 'startTransfer');
    assert.deepEqual(strip(sentPaths(input)), strip(keyPaths(StartTransferInput)));
    assert.deepEqual([input.payShip, input.expirySeconds], [15000, 3600]);
  });

  it('payout start sends every option (final deadline, poll)', async () => {
    const run = await cli([
      'payout',
      'start',
      '--order',
      'o-8',
      '--amount',
      '50000',
      '--bank',
      'PMTB',
      '--account',
      '1234567',
      '--first-name',
      'Siti',
      '--last-name',
      'Aminah',
      '--final-deadline',
      '900',
      '--poll',
      '10',
    ]);
    const input = sent(run, 'startPayout');
    assert.deepEqual(strip(sentPaths(input)), strip(keyPaths(StartPayoutInput)));
  });

  it('a malformed amount of money is refused by the parser, never read as 0, NaN or 1000', async () => {
    const base = [
      'payout',
      'start',
      '--order',
      'o-9',
      '--bank',
      'PMTB',
      '--account',
      '1234567',
      '--first-name',
      'A',
      '--last-name',
      'B',
    ];
    for (const bad of ['abc', '1e3', '12.5', '0', '-5', '0x10', '']) {
      const run = await cli([...base, '--amount', bad]);
      refusedByCommander(run, /--amount <rupiah>' argument .* is invalid\. whole rupiah/);
      assert.equal(run.exitCode, 1, "commander's own code; the binary turns it into 2");
    }
    refusedByCommander(await cli(base), /required option '--amount <rupiah>' not specified/);
    const seconds = await cli([...base, '--amount', '5', '--poll', 'soon']);
    refusedByCommander(seconds, /--poll <seconds>' argument 'soon' is invalid/);
  });
});
