import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collectionNameFor, isResourceCollection } from './collection-names.js';

describe('collectionNameFor', () => {
  it('uses the schema reference names for the seed collections', () => {
    assert.deepEqual(
      ['Patient', 'Observation', 'Encounter', 'Condition', 'MedicationStatement'].map(collectionNameFor),
      ['patients', 'observations', 'encounters', 'conditions', 'medications'],
    );
  });

  it('lower-case plural for every other type, without collisions', () => {
    assert.equal(collectionNameFor('MedicationRequest'), 'medicationrequests');
    assert.equal(collectionNameFor('AllergyIntolerance'), 'allergyintolerances');
    assert.equal(collectionNameFor('ImagingStudy'), 'imagingstudies');
    assert.equal(collectionNameFor('Library'), 'libraries');
    assert.equal(collectionNameFor('Binary'), 'binaries');
    assert.equal(collectionNameFor('Bundle'), 'bundles');
    assert.equal(collectionNameFor('RiskEvidenceSynthesis'), 'riskevidencesyntheses');
    assert.equal(collectionNameFor('Medication'), 'medicationcatalog', 'medications is taken by MedicationStatement');
    assert.equal(collectionNameFor('Device'), 'devices');
    assert.equal(collectionNameFor('Group'), 'groups');
  });

  it('refuses names that are not resource type names', () => {
    assert.throws(() => collectionNameFor('patients.$x'), /not a resource type/);
    assert.throws(() => collectionNameFor(''), /not a resource type/);
  });

  it('tells resource collections from history, outbox and counters', () => {
    assert.equal(isResourceCollection('patients'), true);
    assert.equal(isResourceCollection('resource_history'), false);
    assert.equal(isResourceCollection('changes'), false);
    assert.equal(isResourceCollection('counters'), false);
    assert.equal(isResourceCollection('system.views'), false);
  });
});
