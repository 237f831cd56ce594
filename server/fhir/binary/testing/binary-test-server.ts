/**
 * The test server the Binary HTTP contracts share: content limited to BINARY_LIMIT bytes, patients `pa` and `pb`
 * stored, and `x-test-patient: pa` acting as a patient-context token of Patient/pa (what a SMART patient token
 * becomes); without the header, full access.
 */
import assert from 'node:assert/strict';
import type { Request } from 'express';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import { FULL_ACCESS, type AccessPolicy } from '../../access-policy.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';

export const BINARY_LIMIT = 3 * 1024 * 1024;

function patientHeaderAccess(req: Request): Promise<AccessPolicy> {
  const patient = req.headers['x-test-patient'];
  if (typeof patient !== 'string') return Promise.resolve(FULL_ACCESS);
  return Promise.resolve({ ...FULL_ACCESS, who: `Patient/${patient}`, compartment: `Patient/${patient}` });
}

export type BinaryTestServer = { server: TestServer; close: () => Promise<void> };

export async function startBinaryTestServer(factory: StoreFactory): Promise<BinaryTestServer> {
  const opened = await factory();
  const server = await startTestServer(opened.store, {
    env: { MAX_CONTENT_BYTES: String(BINARY_LIMIT) },
    resolveAccess: patientHeaderAccess,
  });
  for (const id of ['pa', 'pb'])
    assert.equal(
      (await server.fhir(`/Patient/${id}`, { method: 'PUT', body: { resourceType: 'Patient', id } })).status,
      201,
    );
  const close = async () => {
    await server.close();
    await server.app.store.close();
    await opened.dispose();
  };
  return { server, close };
}
