import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertTransactional, redactUrl } from './driver-db.js';

describe('driver layer helpers (no server needed)', () => {
  it('refuses a standalone server with an error that says a replica set is needed', () => {
    assert.throws(
      () => assertTransactional({ isWritablePrimary: true, maxWireVersion: 21 }, 'mongo (server x)'),
      /standalone.*replica set/s,
    );
    assert.doesNotThrow(() => assertTransactional({ isWritablePrimary: true, setName: 'rs0' }, 'x'));
    assert.doesNotThrow(() => assertTransactional({ msg: 'isdbgrid' }, 'x'));
  });

  it('keeps credentials out of the description', () => {
    assert.equal(
      redactUrl('mongodb://user:secret@db1:27017,db2/?replicaSet=rs0'),
      'mongodb://***@db1:27017,db2/?replicaSet=rs0',
    );
    assert.equal(redactUrl('mongodb://localhost:27017'), 'mongodb://localhost:27017');
  });
});
