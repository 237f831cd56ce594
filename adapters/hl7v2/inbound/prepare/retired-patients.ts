/**
 * A message whose patient identifier belongs to a patient merged away (inactive, `link: replaced-by`) goes to the
 * surviving patient: its clinical resources reference the survivor, and the retired patient is not updated (its
 * demographics would overwrite nothing useful, and updating it silently would hide the merge). Answered with a
 * warning (ERR severity W) and logged.
 */
import type { Bundle, Patient } from '@medplum/fhirtypes';
import type { AckError } from '../../ack/ack-builder.js';
import type { Preparer } from './prepare-bundle.js';
import { withoutEntry } from './lookups.js';

const patientEntries = (bundle: Bundle) =>
  (bundle.entry ?? []).filter(
    (e) =>
      e.resource?.resourceType === 'Patient' && e.request?.method === 'PUT' && e.request.url?.startsWith('Patient?'),
  );

export const retiredPatients: Preparer = {
  needs: (bundle) => patientEntries(bundle).map((e) => e.request!.url),
  apply(bundle, found) {
    let out = bundle;
    const warnings: AckError[] = [];
    for (const e of patientEntries(bundle)) {
      const stored = found.get(e.request!.url)?.[0] as Patient | undefined;
      const survivor = stored?.active === false ? stored.link?.find((l) => l.type === 'replaced-by')?.other : undefined;
      if (!survivor?.reference || !e.fullUrl) continue;
      out = withoutEntry(out, e.fullUrl, survivor.reference);
      warnings.push({
        code: '204',
        severity: 'W',
        segment: 'PID',
        field: 3,
        text: `patient ${e.request!.url.slice('Patient?identifier='.length)} (Patient/${stored!.id}) was merged into ${survivor.reference}: this message is applied to the surviving patient, the retired one is left as it is`,
      });
    }
    return { bundle: out, warnings };
  },
};
