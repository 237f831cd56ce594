import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entriesOf, ms } from '../../../indexing/extractors/testing/test-helpers.js';
import { MAX_INSTANT, MIN_INSTANT } from '../../../indexing/extractors/extractor.js';

describe('date extractor', () => {
  it('gives a date the range its precision covers', () => {
    assert.deepEqual(entriesOf({ resourceType: 'Patient', birthDate: '1984-02' }, 'birthdate'), [
      { kind: 'date', param: 'birthdate', low: ms('1984-02-01T00:00:00Z'), high: ms('1984-02-29T23:59:59.999Z') },
    ]);
  });

  it('reads dateTimes with their time zone and instants to the millisecond', () => {
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      effectiveDateTime: '2024-03-01T10:30:00+03:00',
      issued: '2024-03-01T08:00:00.250Z',
      meta: { lastUpdated: '2024-03-02T00:00:00Z' },
    };
    assert.deepEqual(entriesOf(obs, 'date'), [
      { kind: 'date', param: 'date', low: ms('2024-03-01T07:30:00Z'), high: ms('2024-03-01T07:30:00.999Z') },
    ]);
    assert.deepEqual(entriesOf(obs, '_lastUpdated'), [
      { kind: 'date', param: '_lastUpdated', low: ms('2024-03-02T00:00:00Z'), high: ms('2024-03-02T00:00:00.999Z') },
    ]);
  });

  it('turns a Period into low of start .. high of end, open ends reaching the storable extremes', () => {
    const closed = {
      resourceType: 'Encounter',
      status: 'finished',
      class: { code: 'IMP' },
      period: { start: '2024-01-05', end: '2024-01-07T12:00:00Z' },
    };
    assert.deepEqual(entriesOf(closed, 'date'), [
      { kind: 'date', param: 'date', low: ms('2024-01-05T00:00:00Z'), high: ms('2024-01-07T12:00:00.999Z') },
    ]);
    const open = { ...closed, period: { start: '2024-01-05' } };
    assert.deepEqual(entriesOf(open, 'date'), [
      { kind: 'date', param: 'date', low: ms('2024-01-05T00:00:00Z'), high: MAX_INSTANT },
    ]);
    const onlyEnd = { ...closed, period: { end: '2024' } };
    assert.deepEqual(entriesOf(onlyEnd, 'date'), [
      { kind: 'date', param: 'date', low: MIN_INSTANT, high: ms('2024-12-31T23:59:59.999Z') },
    ]);
  });

  it('spans the events of a Timing, or its bounds when it has none', () => {
    const plan = (scheduled: unknown) => ({
      resourceType: 'CarePlan',
      status: 'active',
      intent: 'plan',
      subject: { reference: 'Patient/1' },
      activity: [{ detail: { status: 'scheduled', ...(scheduled as object) } }],
    });
    assert.deepEqual(
      entriesOf(plan({ scheduledTiming: { event: ['2024-05-03', '2024-05-01T09:00:00Z'] } }), 'activity-date'),
      [{ kind: 'date', param: 'activity-date', low: ms('2024-05-01T09:00:00Z'), high: ms('2024-05-03T23:59:59.999Z') }],
    );
    assert.deepEqual(
      entriesOf(
        plan({ scheduledTiming: { repeat: { boundsPeriod: { start: '2024-06-01', end: '2024-06-30' } } } }),
        'activity-date',
      ),
      [{ kind: 'date', param: 'activity-date', low: ms('2024-06-01T00:00:00Z'), high: ms('2024-06-30T23:59:59.999Z') }],
    );
    assert.deepEqual(entriesOf(plan({ scheduledString: 'every morning' }), 'activity-date'), []);
  });

  it('skips values that are not dates instead of failing', () => {
    assert.deepEqual(entriesOf({ resourceType: 'Patient', birthDate: '1984-13-45' }, 'birthdate'), []);
    assert.deepEqual(entriesOf({ resourceType: 'Patient', birthDate: 19840101 }, 'birthdate'), []);
    const bad = { resourceType: 'Encounter', status: 'finished', period: { start: 'yesterday', end: '2024-01-01' } };
    assert.deepEqual(entriesOf(bad, 'date'), []);
  });
});
