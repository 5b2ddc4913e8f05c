import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyBaseLogger } from 'fastify';
import { SampledLog } from '../../gateway/sampled-log';

function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) =>
    lines.push({ level, fields, message });
  return { lines, log: { info: at('info'), warn: at('warn') } as unknown as FastifyBaseLogger };
}

test('a kind repeated within the window is counted, and the next line says how many were left out', () => {
  let now = 0;
  const sampled = new SampledLog(10_000, () => now);
  const { lines, log } = recorder();
  sampled.write(log, 'warn', 'refused badSignature /a', { reason: 'badSignature' }, 'webhook refused');
  for (let i = 0; i < 5; i++) {
    now += 1_000;
    sampled.write(log, 'warn', 'refused badSignature /a', { reason: 'badSignature' }, 'webhook refused');
  }
  assert.equal(lines.length, 1);
  assert.deepEqual(lines[0], {
    level: 'warn',
    fields: { reason: 'badSignature' },
    message: 'webhook refused',
  });
  now = 10_000;
  sampled.write(log, 'warn', 'refused badSignature /a', { reason: 'badSignature' }, 'webhook refused');
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1]!.fields, { reason: 'badSignature', leftOutSinceLastLine: 5 });
});

test('kinds are sampled apart: a flood of one does not hide the first of another', () => {
  const sampled = new SampledLog(10_000, () => 0);
  const { lines, log } = recorder();
  for (let i = 0; i < 100; i++) sampled.write(log, 'warn', 'refused badSignature /a', {}, 'webhook refused');
  sampled.write(log, 'info', 'replay klink', { orderId: 'O-1' }, 'webhook replay');
  assert.deepEqual(
    lines.map((l) => [l.level, l.message]),
    [
      ['warn', 'webhook refused'],
      ['info', 'webhook replay'],
    ],
  );
});
