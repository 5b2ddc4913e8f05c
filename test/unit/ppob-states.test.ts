/**
 * PPOB's status words in the engine's words: the one mapping the client and the saga share.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PPOB_STATUS_TABLE } from '../../providers/ppob/status';
import { PPOB_STATUS_WORDS, ppobState, ppobStatusWord } from '../../providers/ppob/states';

describe('PPOB status words -> ProviderState', () => {
  it('Success is paid, Failed failed, Waiting and Pending pending, in any case and spacing', () => {
    assert.equal(ppobState('Success'), 'paid');
    assert.equal(ppobState(' SUCCESS '), 'paid');
    assert.equal(ppobState('failed'), 'failed');
    assert.equal(ppobState('Waiting'), 'pending');
    assert.equal(ppobState('pending'), 'pending');
  });

  it('any other word is unknown (parks): never failed, never "not yet"', () => {
    for (const word of ['Refunded', 'Suspect', 'Succes', '', undefined])
      assert.equal(ppobState(word), 'unknown');
    assert.equal(ppobStatusWord('Refunded'), undefined);
    assert.equal(ppobStatusWord('sUcCeSs'), 'Success');
  });

  it('the status table documents every word, with the state the saga reads', () => {
    assert.deepEqual(Object.keys(PPOB_STATUS_TABLE).sort(), [...PPOB_STATUS_WORDS].sort());
    for (const word of PPOB_STATUS_WORDS) assert.equal(PPOB_STATUS_TABLE[word].state, ppobState(word));
  });
});
