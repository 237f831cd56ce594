/** The server's transaction processor as the HL7 adapter sees it (throws FhirError from server/fhir/errors.ts). */
import type { Bundle } from '@medplum/fhirtypes';

export type SubmitTransaction = (bundle: Bundle) => Promise<Bundle /* transaction-response */>;
