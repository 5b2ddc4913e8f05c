/**
 * `paysaga`: the operator's and developer's command line over the typed client.
 * Reads the same environment as the worker (TEMPORAL_*, PAYSAGA_CODEC_*, PAYSAGA_DATA_DIR), so
 * it decrypts what the engine encrypted. Exit code 2 means the input was refused.
 */
import { WorkflowFailedError, WorkflowNotFoundError, type Connection } from '@temporalio/client';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { codecEnv, exitOnConfigError, parseEnv, temporalEnv } from '../common/config';
import { loadCodecKeys } from '../workers/codec-keys';
import { prakerjaWorkflowId } from '../workflows/prakerja-definitions';
import { ALL_REVIEW_ACTIONS, ALL_STATUSES } from '../workflows/sagas';
import { PaysagaInputError } from './inputs';
import { PaysagaClient, type PaymentSummary } from './paysaga-client';
import { registerNamespaceAndSearchAttributes } from './setup';

const cliEnv = { ...temporalEnv, ...codecEnv };

/** Runs a command's work with a connected client and prints what it returns. */
export type ClientRunner = <T>(run: (client: PaysagaClient) => Promise<T>) => Promise<void>;

async function connectAndRun<T>(run: (client: PaysagaClient) => Promise<T>): Promise<void> {
  let env;
  try {
    env = parseEnv(cliEnv);
  } catch (err) {
    exitOnConfigError(err);
  }
  const client = await PaysagaClient.connect(env, loadCodecKeys(env, env.PAYSAGA_DATA_DIR));
  try {
    const out = await run(client);
    if (out !== undefined) console.log(typeof out === 'string' ? out : JSON.stringify(out, null, 2));
  } finally {
    await client.close();
  }
}

// ---- option values: strict, so a typo is an error and never a silent 0 or NaN ----

/** A whole rupiah amount of money, more than 0: digits only ("1e3", "12.5", "" are refused). */
export function rupiah(value: string): number {
  if (!/^\d{1,15}$/.test(value.trim()) || Number(value) <= 0)
    throw new InvalidArgumentError('whole rupiah, more than 0, digits only (e.g. 155000)');
  return Number(value);
}

/** Seconds between history looks, e.g. "2,10,30": whole numbers, comma-separated. */
export function secondsList(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d{1,4}$/.test(p)))
    throw new InvalidArgumentError('comma-separated whole seconds (e.g. 2,10,30)');
  return parts.map(Number);
}

/** K-Wallet voucher and transfer: when an unclear answer is looked up in history again. */
function confirmDelaysOption(): Option {
  return new Option(
    '--confirm-delays <s,s,...>',
    'seconds between history looks when the answer is unclear',
  ).argParser(secondsList);
}

/** A count or a number of seconds: a whole number, at least 1 (the engine checks the upper bound). */
export function wholeNumber(value: string): number {
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < 1)
    throw new InvalidArgumentError('a whole number, at least 1');
  return Number(value);
}

/** What `paysaga status` prints: the saga's view, and Temporal's word for the run beside it. */
export interface StatusReport {
  workflowId: string;
  /** The run as Temporal describes it: RUNNING, COMPLETED, FAILED, TERMINATED, CANCELLED, TIMED_OUT, ... */
  execution: { status: string; closeTime?: string; failure?: string };
  [field: string]: unknown;
}

/** Temporal's run statuses whose end is not the saga's own: its view is the last it recorded. */
const ENDED_OUTSIDE_THE_SAGA = new Set(['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT']);

/**
 * The status of a payment: Temporal's description of the run first, then the saga's view. A run
 * the saga did not end itself (failed, terminated, cancelled, timed out) prints its view under
 * `lastView`, never as the payment's status: the view stops where the run was stopped, and its
 * status (INQUIRING, say) is not an outcome. A view that cannot be read is said so.
 */
export async function paymentStatus(c: PaysagaClient, workflowId: string): Promise<StatusReport> {
  const handle = c.temporal.workflow.getHandle(workflowId);
  let described;
  try {
    described = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new PaysagaInputError(`payment ${workflowId} not found`);
    throw err;
  }
  const status = described.status.name;
  const execution: StatusReport['execution'] = {
    status,
    ...(described.closeTime ? { closeTime: described.closeTime.toISOString() } : {}),
  };
  if (ENDED_OUTSIDE_THE_SAGA.has(status)) {
    execution.failure = await handle.result().then(
      () => undefined,
      (err: unknown) =>
        err instanceof WorkflowFailedError && err.cause ? err.cause.message || err.cause.name : String(err),
    );
  }
  let view: Record<string, unknown>;
  try {
    view = (await c.withinDeadline(() => c.status(workflowId), 10_000)) as unknown as Record<string, unknown>;
  } catch (err) {
    return { workflowId, execution, viewUnavailable: (err as Error).message };
  }
  return ENDED_OUTSIDE_THE_SAGA.has(status)
    ? { workflowId, execution, lastView: view }
    : { ...view, workflowId, execution };
}

/**
 * K-Wallet funding of a purchase, or none. A prepaid purchase takes exactly the --amount given
 * (never a default); a postpaid one takes the bill the inquiry finds, so an --amount is refused.
 */
export function ppobFunding(opts: {
  kind: 'prepaid' | 'postpaid';
  member?: string;
  amount?: number;
}): { idMember: string; amount?: number } | undefined {
  if (!opts.member) {
    if (opts.amount !== undefined)
      throw new PaysagaInputError('--amount is the rupiah taken from K-Wallet: give --member with it');
    return undefined;
  }
  if (opts.kind === 'postpaid') {
    if (opts.amount !== undefined)
      throw new PaysagaInputError(
        '--amount: a postpaid purchase takes the bill the inquiry finds, not an amount',
      );
    return { idMember: opts.member };
  }
  if (opts.amount === undefined)
    throw new PaysagaInputError(
      '--amount is required with --member: the whole rupiah to take from the K-Wallet member',
    );
  return { idMember: opts.member, amount: opts.amount };
}

function paymentToken(opts: { tokenStdin?: boolean }): string {
  if (opts.tokenStdin) return readFileSync(0, 'utf8').trim();
  const token = process.env.PAYSAGA_PAYMENT_TOKEN;
  if (!token)
    throw new PaysagaInputError(
      'payment token: pipe it with --token-stdin or set PAYSAGA_PAYMENT_TOKEN (never on the command line)',
    );
  return token;
}

function table(rows: PaymentSummary[]): string {
  if (rows.length === 0) return '(no payments)';
  const header = ['WORKFLOW ID', 'PROVIDER', 'STATUS', 'REVIEW', 'AMOUNT', 'ORDER', 'STARTED'];
  const lines = rows.map((r) => [
    r.workflowId,
    r.provider ?? '',
    r.status ?? '',
    r.needsReview ? 'yes' : '',
    String(r.amount ?? ''),
    r.orderId ?? '',
    r.startTime,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [header, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

/**
 * The command tree. `run` connects and prints (tests pass their own). Commander's own refusals
 * (a missing or malformed option) exit 2 like every refused input (exitOverride, below).
 */
export function buildCli(withClient: ClientRunner = connectAndRun): Command {
  const program = new Command('paysaga')
    .description('Drive and inspect paysaga payments (Temporal payment sagas).')
    .showHelpAfterError()
    .exitOverride();

  const prakerja = program.command('prakerja').description('Prakerja OTP-authorize payments');
  prakerja
    .command('start')
    .description('start a payment (or find the running one for the invoice)')
    .requiredOption('--invoice <code>', 'invoice code (the workflow id is prakerja-<code>)')
    .requiredOption('--invoice-url <url>', 'invoice URL sent to Prakerja')
    .requiredOption('--amount <rupiah>', 'amount in whole rupiah', rupiah)
    .requiredOption('--order <id>', 'your order id')
    .option('--token-stdin', 'read the payment token from standard input (else PAYSAGA_PAYMENT_TOKEN)')
    .option('--otp-timeout <seconds>', 'seconds the user has to enter the OTP', wholeNumber)
    .option('--max-otp-attempts <n>', 'wrong OTPs allowed before the payment ends', wholeNumber)
    .option('--fulfilment-timeout <seconds>', 'per attempt of your fulfilment call', wholeNumber)
    .option('--fulfilment-attempts <n>', 'attempts of your fulfilment call before it is voided', wholeNumber)
    .action((opts) =>
      withClient((c) =>
        c.startPrakerjaPayment({
          invoiceCode: opts.invoice,
          invoiceUrl: opts.invoiceUrl,
          amount: opts.amount,
          orderId: opts.order,
          paymentToken: paymentToken(opts),
          otpTimeoutSeconds: opts.otpTimeout,
          maxOtpAttempts: opts.maxOtpAttempts,
          ...(opts.fulfilmentTimeout !== undefined || opts.fulfilmentAttempts !== undefined
            ? { fulfilment: { timeoutSeconds: opts.fulfilmentTimeout, maxAttempts: opts.fulfilmentAttempts } }
            : {}),
        }),
      ),
    );
  prakerja
    .command('otp <invoice> <otp>')
    .description("submit the user's OTP; prints the authorize outcome")
    .action((invoice: string, otp: string) =>
      withClient((c) => c.submitOtp(prakerjaWorkflowId(invoice), { otp })),
    );

  const klink = program.command('klink').description('K-Link K-Wallet');
  klink
    .command('refund')
    .description('start the escrow refund of an order (or find the one already started for it)')
    .requiredOption('--order <id>', 'id_order of the K-Wallet payment')
    .requiredOption('--member <id>', 'id_member whose balance gets the money back')
    .requiredOption('--amount <rupiah>', 'amount you expect back, whole rupiah', rupiah)
    .requiredOption('--note <text>', 'why (sent to K-Link with the accept)')
    .option(
      '--confirm-timeout <seconds>',
      'how long an operator has to confirm data that does not match',
      wholeNumber,
    )
    .action((opts) =>
      withClient((c) =>
        c.startKLinkRefund({
          idOrder: opts.order,
          idMember: opts.member,
          expectedAmount: opts.amount,
          note: opts.note,
          confirmTimeoutSeconds: opts.confirmTimeout,
        }),
      ),
    );
  klink
    .command('va')
    .description("register a member's K-Wallet VAs (or show them); prints the VA number per bank")
    .requiredOption('--member <id>', 'id_member')
    .requiredOption('--name <name>', "member's name")
    .requiredOption('--hp <number>', "member's phone")
    .requiredOption('--email <address>', "member's email")
    .option('--json', 'print JSON')
    .action((o) =>
      withClient(async (c) => {
        const va = await c.klinkRegisterVa({ idMember: o.member, name: o.name, hp: o.hp, email: o.email });
        if (o.json) return va;
        return [
          `VAs of ${va.idMember}:`,
          ...va.accounts.map(
            (a) =>
              `  bank ${a.bankCode.padEnd(4)} ${a.ok ? (a.vaNumber ?? '') : `not created: ${a.errorMessage ?? a.errorCode ?? ''}`}` +
              (a.fee ? `  (fee ${a.fee})` : '') +
              (a.expiryDateTime ? `  until ${a.expiryDateTime}` : ''),
          ),
        ].join('\n');
      }),
    );
  klink
    .command('balance')
    .description("a member's K-Wallet balance")
    .requiredOption('--member <id>', 'id_member')
    .action((o) => withClient((c) => c.klinkBalance({ idMember: o.member })));
  klink
    .command('history')
    .description("a member's K-Wallet history, each row with its direction and amount")
    .requiredOption('--member <id>', 'id_member')
    .option('--from <date>', 'start: YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS" (WIB)')
    .option('--to <date>', 'end: YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS" (WIB)')
    .option('--json', 'print JSON')
    .action((o) =>
      withClient(async (c) => {
        const h = await c.klinkHistory({ idMember: o.member, startDate: o.from, endDate: o.to });
        if (o.json) return h;
        if (h.movements.length === 0) return `(no history for ${h.idMember})`;
        return h.movements
          .map(
            (m) =>
              `${m.datetime}  ${m.direction === 'in' ? '+' : '-'}${m.amount}  balance ${m.balance}  ${m.description}`,
          )
          .join('\n');
      }),
    );
  klink
    .command('voucher')
    .description(
      'top up a member with a voucher code (sent once per code; an unclear answer is confirmed by history)',
    )
    .requiredOption('--code <voucher>', 'voucher code')
    .requiredOption('--member <id>', 'id_member who receives the balance')
    .requiredOption('--amount <rupiah>', 'whole rupiah', rupiah)
    .requiredOption('--description <text>', 'sent to K-Link')
    .addOption(confirmDelaysOption())
    .action((o) =>
      withClient((c) =>
        c.klinkVoucher({
          voucherCode: o.code,
          idMember: o.member,
          amount: o.amount,
          description: o.description,
          confirmDelaysSeconds: o.confirmDelays,
        }),
      ),
    );
  klink
    .command('transfer')
    .description('transfer between two members once per transfer id (workflow kwallet-transfer-<id>)')
    .requiredOption('--id <transferId>', 'your id for this transfer')
    .requiredOption('--from <member>', 'id_member who sends')
    .requiredOption('--to <member>', 'id_member who receives')
    .requiredOption('--amount <rupiah>', 'whole rupiah', rupiah)
    .requiredOption('--description <text>', 'sent to K-Link, with the reference paysaga adds')
    .addOption(confirmDelaysOption())
    .action((o) =>
      withClient((c) =>
        c.startKWalletTransfer({
          transferId: o.id,
          idMemberSend: o.from,
          idMemberReceipt: o.to,
          amount: o.amount,
          description: o.description,
          confirmDelaysSeconds: o.confirmDelays,
        }),
      ),
    );
  const refund = program
    .command('refund')
    .description('act on a refund waiting for you (see `status` for its data)');
  refund
    .command('confirm <workflowId>')
    .description("accept K-Link's proposed transaction although it did not match")
    .requiredOption('--id-trans <n>', 'the proposed transaction to refund', wholeNumber)
    .requiredOption('--operator <name>', 'who you are')
    .requiredOption('--note <text>', 'what you checked')
    .action((id: string, opts) =>
      withClient((c) =>
        c.confirmRefund(id, { idTrans: opts.idTrans, operator: opts.operator, note: opts.note }),
      ),
    );
  refund
    .command('reject <workflowId>')
    .description('do not refund; the refund ends NOT_REFUNDED')
    .requiredOption('--operator <name>', 'who you are')
    .requiredOption('--note <text>', 'why')
    .action((id: string, opts) =>
      withClient((c) => c.rejectRefund(id, { operator: opts.operator, note: opts.note })),
    );

  const ppob = program.command('ppob').description('PPOB prepaid top-ups and postpaid bills');
  ppob
    .command('buy')
    .description('start a purchase (or find the one already started for the order)')
    .requiredOption('--order <id>', 'your order id (the workflow id is ppob-<id>)')
    .addOption(
      new Option('--kind <kind>', 'prepaid or postpaid').choices(['prepaid', 'postpaid']).default('prepaid'),
    )
    .requiredOption('--product <code>', 'product code, e.g. S10, PLN20, INQPLN')
    .requiredOption('--dest <number>', 'phone, meter or customer number')
    .option('--member <id>', 'fund it from this K-Wallet member')
    .option('--amount <rupiah>', 'prepaid with --member: the rupiah to take from K-Wallet', rupiah)
    .option('--confirm-timeout <seconds>', 'postpaid: how long the bill waits for `ppob bill`', wholeNumber)
    .option(
      '--final-deadline <seconds>',
      'how long to wait for a final status before a person is asked',
      wholeNumber,
    )
    .option('--poll <seconds>', 'first status poll interval (doubles up to 60)', wholeNumber)
    .action((opts) => {
      const funding = ppobFunding(opts); // refused before connecting
      return withClient((c) =>
        c.startPpobPurchase({
          orderId: opts.order,
          kind: opts.kind,
          productCode: opts.product,
          destination: opts.dest,
          funding,
          confirmTimeoutSeconds: opts.confirmTimeout,
          finalDeadlineSeconds: opts.finalDeadline,
          pollSeconds: opts.poll,
        }),
      );
    });
  ppob
    .command('bill <workflowId>')
    .description('accept or decline the bill a postpaid inquiry showed')
    .addOption(
      new Option('--decision <d>', 'accept or decline').choices(['accept', 'decline']).makeOptionMandatory(),
    )
    .option('--operator <name>', 'who decided (kept in the timeline)')
    .action((id: string, opts) =>
      withClient((c) => c.confirmBill(id, { accept: opts.decision === 'accept', operator: opts.operator })),
    );

  const transfer = program
    .command('transfer')
    .description('pay by transfer: K-Link VA / manual / card / GoPay, AliKassa');
  transfer
    .command('start')
    .description('create the payment (or find the one already created for the order); prints the workflow id')
    .requiredOption('--order <id>', 'your order id (the workflow id is transfer-<id>)')
    .addOption(
      new Option('--method <m>', 'payment method')
        .choices(['klink-va', 'klink-manual', 'klink-card', 'klink-gopay', 'alikassa'])
        .makeOptionMandatory(),
    )
    .requiredOption('--amount <rupiah>', 'price in whole rupiah', rupiah)
    .option('--pay-ship <rupiah>', 'K-Link: shipping on top of the price, whole rupiah', rupiah)
    .requiredOption('--name <fullname>', "payer's full name")
    .requiredOption('--phone <number>', "payer's phone")
    .requiredOption('--email <address>', "payer's email")
    .option('--ip <address>', "payer's IP address (AliKassa asks for it)")
    .option('--expiry <seconds>', 'how long the payer has to pay', wholeNumber)
    .option('--bank <code>', 'K-Link bankCode (from list_bank)')
    .option('--product <code>', 'K-Link productCode (from list_bank)')
    .option('--service <s>', 'AliKassa service, e.g. virtual_account_idr_hpp')
    .option('--customer-code <c>', 'AliKassa bank code, e.g. BCAVA')
    .action((o) =>
      withClient((c) =>
        c.startTransfer({
          orderId: o.order,
          method: o.method,
          amount: o.amount,
          payShip: o.payShip,
          customer: { fullname: o.name, phone: o.phone, email: o.email, ip: o.ip },
          bankCode: o.bank,
          productCode: o.product,
          service: o.service,
          customerCode: o.customerCode,
          expirySeconds: o.expiry,
        }),
      ),
    );
  const payout = program.command('payout').description('AliKassa payouts');
  payout
    .command('start')
    .description('pay out once per order id')
    .requiredOption('--order <id>', 'order id (the workflow id is payout-<id>)')
    .requiredOption('--amount <rupiah>', 'whole rupiah', rupiah)
    .requiredOption('--bank <code>', 'payment_card_idr bank code, e.g. PMTB')
    .requiredOption('--account <number>', "recipient's account number")
    .requiredOption('--first-name <n>', "recipient's first name")
    .requiredOption('--last-name <n>', "recipient's last name")
    .option(
      '--final-deadline <seconds>',
      'how long to wait for a final status before a person is asked',
      wholeNumber,
    )
    .option('--poll <seconds>', 'first status poll interval', wholeNumber)
    .action((o) =>
      withClient((c) =>
        c.startPayout({
          orderId: o.order,
          amount: o.amount,
          bankCode: o.bank,
          accountNumber: o.account,
          firstName: o.firstName,
          lastName: o.lastName,
          finalDeadlineSeconds: o.finalDeadline,
          pollSeconds: o.poll,
        }),
      ),
    );

  program
    .command('status <workflowId>')
    .description(
      "current state of a payment: status, review reason, timeline, and Temporal's status of the run (execution)",
    )
    .action((id: string) => withClient((c) => paymentStatus(c, id)));
  program
    .command('cancel <workflowId>')
    .description('cancel a payment (voids it if already authorized and not yet fulfilled)')
    .requiredOption('--reason <text>', 'why')
    .action((id: string, opts) =>
      withClient(async (c) => (await c.cancel(id, { reason: opts.reason }), `cancel sent to ${id}`)),
    );
  program
    .command('list')
    .description('list payments by their search attributes')
    .option('--needs-review', 'only payments waiting for an operator')
    .addOption(new Option('--status <status>', 'only payments in this status').choices(ALL_STATUSES))
    .option('--provider <name>', 'e.g. prakerja')
    .option('--order <id>', 'by order id')
    .option('--limit <n>', 'at most n rows', wholeNumber, 100)
    .option('--json', 'print JSON')
    .action((opts) =>
      withClient(async (c) => {
        const rows = await c.list({
          needsReview: opts.needsReview ? true : undefined,
          status: opts.status,
          provider: opts.provider,
          orderId: opts.order,
          limit: opts.limit,
        });
        return opts.json ? rows : table(rows);
      }),
    );
  program
    .command('review <workflowId>')
    .description(
      'resolve a payment of any saga in NEEDS_REVIEW (the actions this payment offers are in `status`)',
    )
    .addOption(
      new Option('--action <action>', 'what to do').choices(ALL_REVIEW_ACTIONS).makeOptionMandatory(),
    )
    .requiredOption('--note <text>', 'what you checked (kept in the payment timeline)')
    .requiredOption('--operator <name>', 'who you are')
    .option('--sn <serial>', 'PPOB mark-succeeded: the serial number the provider confirmed')
    .action((id: string, opts) =>
      withClient((c) =>
        c.review(id, { action: opts.action, note: opts.note, operator: opts.operator, sn: opts.sn }),
      ),
    );
  program
    .command('setup')
    .description('register the namespace and search attributes on TEMPORAL_ADDRESS (idempotent)')
    .action(() =>
      withClient(async (c) => {
        const env = parseEnv(cliEnv);
        return registerNamespaceAndSearchAttributes(
          c.temporal.connection as Connection,
          env.TEMPORAL_NAMESPACE,
        );
      }),
    );
  return program;
}

if (require.main === module || process.env.PAYSAGA_CLI === '1') {
  buildCli()
    .parseAsync(process.argv)
    .catch((err: Error) => {
      // Commander printed its own message (or the help): only the exit code is left to set.
      if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
      console.error(`paysaga: ${err.message}`);
      process.exit(err instanceof PaysagaInputError ? 2 : 1);
    });
}
