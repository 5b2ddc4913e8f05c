/**
 * `npm run chaos -- [payments] [minutes] [seed] [--only saga,...] [--no-faults] [--settle s]
 * [--results dir]`: the fault campaign (chaos/campaign.ts). Prints the table, writes the JSON,
 * and exits 1 when an invariant count is above zero (2 when the harness itself failed).
 */
import { Command, InvalidArgumentError } from 'commander';
import { runCampaign } from './campaign';
import { formatTable, writeResult } from './report';
import { CHAOS_SAGAS } from './sagas';

const positiveInt = (what: string) => (value: string) => {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`${what}: a whole number above 0`);
  return Number(value);
};
const minutes = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 24 * 60)
    throw new InvalidArgumentError('minutes: a number above 0');
  return n;
};

const program = new Command('chaos')
  .description('fault campaign: payments of every saga under seeded faults, then the books reconciled')
  .argument('[payments]', 'how many payments', positiveInt('payments'), 200)
  .argument('[minutes]', 'over how many minutes (faults run meanwhile)', minutes, 5)
  .argument('[seed]', 'seed of the payments and the faults', positiveInt('seed'), 1)
  .option(
    '--only <sagas>',
    `only these sagas (comma-separated: ${CHAOS_SAGAS.map((m) => m.saga).join(', ')})`,
  )
  .option('--no-faults', 'the same payments, no fault injected')
  .option('--settle <seconds>', 'how long payments may take to end after the traffic', positiveInt('settle'))
  .option('--results <dir>', 'where the JSON goes (default bench/results)')
  .action(async (payments: number, mins: number, seed: number, o: Record<string, unknown>) => {
    const only = typeof o.only === 'string' ? o.only.split(',') : undefined;
    const unknown = only?.filter((s) => !CHAOS_SAGAS.some((m) => m.saga === s)) ?? [];
    if (unknown.length > 0) program.error(`--only: unknown saga ${unknown.join(', ')}`);
    const result = await runCampaign({
      payments,
      minutes: mins,
      seed,
      modules: only ? CHAOS_SAGAS.filter((m) => only.includes(m.saga)) : CHAOS_SAGAS,
      faults: o.faults !== false,
      ...(typeof o.settle === 'number' ? { settleMs: o.settle * 1000 } : {}),
      log: (line) => console.log(`[chaos] ${line}`),
    });
    console.log('\n' + formatTable(result));
    console.log(
      `\nresult written to ${writeResult(result, typeof o.results === 'string' ? o.results : undefined)}`,
    );
    const broken = Object.values(result.invariants).some((n) => n > 0);
    process.exit(broken ? 1 : result.harnessErrors.length > 0 ? 2 : 0);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`chaos: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
