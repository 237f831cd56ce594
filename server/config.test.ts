import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.js';

describe('configuration from the environment', () => {
  it('defaults to the embedded store with a local data folder and SMART on', () => {
    const config = loadConfig({});
    assert.deepEqual(config.store, { kind: 'pglite', dataDir: './data/pglite' });
    assert.equal(config.baseUrl, 'http://127.0.0.1:8080/fhir');
    assert.equal(config.auth.mode, 'smart');
    assert.equal(config.limits.maxPageSize, 1000);
  });

  it('reads the PostgreSQL and Mongo choices with their URLs', () => {
    assert.deepEqual(loadConfig({ NILECARE_STORE: 'postgres', DATABASE_URL: 'postgres://u@h:5432/f' }).store, {
      kind: 'postgres',
      url: 'postgres://u@h:5432/f',
      poolSize: 10,
    });
    assert.equal(
      loadConfig({ NILECARE_STORE: 'mongo', MONGODB_URL: 'mongodb://m:27017/?replicaSet=rs0' }).store.kind,
      'mongo',
    );
    assert.equal(loadConfig({ BASE_URL: 'https://fhir.nilecare.sd/fhir/' }).baseUrl, 'https://fhir.nilecare.sd/fhir');
  });

  it('reports every problem at once, naming the variables', () => {
    try {
      loadConfig({ NILECARE_STORE: 'mongo', PORT: '99999', NILECARE_AUTH: 'off', MAX_PAGE_SIZE: 'lots' });
      assert.fail('should have thrown');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const text = error.message;
      for (const name of ['MONGODB_URL', 'PORT', 'NILECARE_AUTH', 'MAX_PAGE_SIZE'])
        assert.match(text, new RegExp(name));
    }
    assert.throws(() => loadConfig({ NILECARE_STORE: 'sqlite' }), /NILECARE_STORE/);
    assert.throws(() => loadConfig({ DEFAULT_PAGE_SIZE: '500', MAX_PAGE_SIZE: '100' }), /DEFAULT_PAGE_SIZE/);
  });

  it('keeps delivered subscription events a day for $events unless SUBSCRIPTION_EVENTS_RETENTION_SECONDS says', () => {
    assert.equal(loadConfig({}).subscriptions.eventsRetentionSeconds, 86_400);
    assert.equal(
      loadConfig({ SUBSCRIPTION_EVENTS_RETENTION_SECONDS: '3600' }).subscriptions.eventsRetentionSeconds,
      3600,
    );
    assert.throws(() => loadConfig({ SUBSCRIPTION_EVENTS_RETENTION_SECONDS: '-1' }), /SUBSCRIPTION_EVENTS_RETENTION/);
    assert.throws(() => loadConfig({ SUBSCRIPTION_EVENTS_RETENTION_SECONDS: '1d' }), /SUBSCRIPTION_EVENTS_RETENTION/);
  });

  it('websocket binding tokens live 120 s unless SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS says (1 s to a day)', () => {
    assert.equal(loadConfig({}).subscriptions.bindingTokenSeconds, 120);
    assert.equal(loadConfig({ SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS: '30' }).subscriptions.bindingTokenSeconds, 30);
    for (const bad of ['0', '-5', '86401', '2m'])
      assert.throws(() => loadConfig({ SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS: bad }), /SUBSCRIPTION_WS_BINDING_TOKEN/);
  });

  it('refuses a PostgreSQL pool too small for a change-feed batch and its store reads (PG_POOL_SIZE=1 hung the server)', () => {
    const postgres = { NILECARE_STORE: 'postgres', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' };
    for (const small of ['1', '2'])
      assert.throws(
        () => loadConfig({ ...postgres, PG_POOL_SIZE: small }),
        (e: unknown) =>
          e instanceof ConfigError && /PG_POOL_SIZE: must be at least 3: a change-feed batch/.test(e.message),
      );
    assert.deepEqual(loadConfig({ ...postgres, PG_POOL_SIZE: '3' }).store, {
      ...loadConfig(postgres).store,
      poolSize: 3,
    });
  });

  it('refuses NILECARE_PROJECTIONS=yes at start like the other bad values (it used to mean off, silently)', () => {
    assert.throws(
      () => loadConfig({ NILECARE_PROJECTIONS: 'yes' }),
      (e: unknown) =>
        e instanceof ConfigError && /NILECARE_PROJECTIONS: Invalid option: expected one of "on"\|"off"/.test(e.message),
    );
    assert.doesNotThrow(() => loadConfig({ NILECARE_PROJECTIONS: 'on' }));
  });

  it('refuses a mistyped embedded durability setting (a typo must not silently keep or drop fsync)', () => {
    assert.throws(() => loadConfig({ NILECARE_PGLITE_FSYNC: 'no' }), /NILECARE_PGLITE_FSYNC/);
    assert.throws(() => loadConfig({ NILECARE_PGLITE_CHECKPOINT: '30s' }), /NILECARE_PGLITE_CHECKPOINT/);
    assert.throws(() => loadConfig({ NILECARE_PGLITE_CHECKPOINT: '0' }), /NILECARE_PGLITE_CHECKPOINT/);
    assert.doesNotThrow(() => loadConfig({ NILECARE_PGLITE_FSYNC: 'off', NILECARE_PGLITE_CHECKPOINT: 'off' }));
    assert.doesNotThrow(() => loadConfig({ NILECARE_PGLITE_CHECKPOINT: '120' }));
  });
});
