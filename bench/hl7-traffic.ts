/**
 * The traffic of the HL7 figure: which corpus ORU^R01 each timed message is a copy of, and which patient it is for.
 * Each copy gets a fresh MSH-10 (MSH-11 = P) and fresh order identifiers (ORC-2/3, OBR-2/3: every message is a new
 * result), and the identifiers and demographics of one bench patient: PID-2/3/4/18/19/20 and the visit number
 * (PV1-19, PV1-50) suffixed per patient, PID-5 and PID-7 those of a distinct generated person (personOf), so that no
 * two bench patients look like duplicates of each other (the old copies kept the corpus name and birth date: every
 * copy was an exact duplicate of all the others, up to 5 duplicate-pair review records per message).
 *
 * Two mixes:
 *  - `known-patients` (the figure of record): the messages cycle over count / MESSAGES_PER_PATIENT patients, each
 *    always sent with the same corpus message (same sender, same PID segment): the first message of a patient creates
 *    it, the next ones are results for a patient the server knows, with the same demographics — what an interface
 *    engine sends (many results per admitted patient; 80% of the messages are for known patients);
 *  - `new-patients`: every message a new patient (the heaviest case for the duplicate check on create).
 */
const FAMILIES = [
  'Ahmed',
  'Osman',
  'Babiker',
  'Elhassan',
  'Abdalla',
  'Mustafa',
  'Idris',
  'Hamid',
  'Saeed',
  'Yousif',
  'Karrar',
  'Mahgoub',
  'Nugud',
  'Taha',
  'Elamin',
  'Suliman',
  'Fadul',
  'Gasim',
  'Bashir',
  'Hussein',
  'Kheir',
  'Omer',
  'Adam',
];
const GIVEN = [
  'Amna',
  'Mohamed',
  'Fatima',
  'Khalid',
  'Sara',
  'Tarig',
  'Hiba',
  'Yasir',
  'Rania',
  'Mazin',
  'Nour',
  'Hatim',
  'Salma',
  'Omer',
  'Duaa',
  'Waleed',
  'Maha',
  'Ayman',
  'Reem',
  'Sami',
  'Lina',
  'Hisham',
  'Amal',
  'Musab',
];

/** PID-5 and PID-7 of person n: a name and birth date that no other n below 23 x 24 x 7,300 shares. */
export function personOf(n: number): { name: string; birthDate: string } {
  const family = FAMILIES[n % FAMILIES.length]!;
  const given = GIVEN[Math.floor(n / FAMILIES.length) % GIVEN.length]!;
  const day = new Date(Date.UTC(1940, 0, 1) + (Math.floor(n / (FAMILIES.length * GIVEN.length)) % 7300) * 86_400_000);
  return { name: `${family}^${given}`, birthDate: day.toISOString().slice(0, 10).replace(/-/g, '') };
}

export const HL7_TRAFFIC = ['known-patients', 'new-patients'] as const;
export type Hl7Traffic = (typeof HL7_TRAFFIC)[number];

/** Results per patient in the known-patients mix (its first one creates the patient). */
export const MESSAGES_PER_PATIENT = 5;

/** PID and PV1 fields that identify the patient or its visit (suffixed per patient); ORC/OBR ones per message. */
const PATIENT_FIELDS: Record<string, number[]> = { PID: [2, 3, 4, 18, 19, 20], PV1: [19, 50] };
const ORDER_FIELDS: Record<string, number[]> = { ORC: [2, 3], OBR: [2, 3] };

/** The patient of timed message i of `count` in a mix. */
export function patientOf(i: number, count: number, traffic: Hl7Traffic): number {
  if (traffic === 'new-patients') return i;
  return i % Math.max(1, Math.ceil(count / MESSAGES_PER_PATIENT));
}

/** Timed message i of a run: a copy of the corpus message of its patient. */
export function trafficMessage(
  usable: readonly string[],
  i: number,
  count: number,
  traffic: Hl7Traffic,
  run: { readonly id: string; readonly firstPerson: number },
): string {
  const patient = patientOf(i, count, traffic);
  return messageCopy(usable[patient % usable.length]!, {
    controlId: `B${run.id}${i}`,
    orderSuffix: `-b${run.id}${i}`,
    patientSuffix: `-p${run.id}${patient}`,
    person: run.firstPerson + patient,
  });
}

export interface CopyOptions {
  readonly controlId: string;
  /** Appended to the first component of each repetition of ORC-2/3, OBR-2/3. */
  readonly orderSuffix: string;
  /** Appended to the first component of each repetition of PID-2/3/4/18/19/20, PV1-19/50. */
  readonly patientSuffix: string;
  /** PID-5 and PID-7 of this generated person; the corpus ones when absent. */
  readonly person?: number;
}

/** A copy of a corpus message: MSH-10, MSH-11 = P, suffixed identifiers, the person's name and birth date. */
export function messageCopy(text: string, o: CopyOptions): string {
  const sep = text[3] ?? '|';
  const comp = text[4] ?? '^';
  const rep = text[5] ?? '~';
  const suffixed = (value: string, suffix: string) =>
    value
      .split(rep)
      .map((r) =>
        r
          ? r
              .split(comp)
              .map((c, k) => (k === 0 && c ? `${c}${suffix}` : c))
              .join(comp)
          : r,
      )
      .join(rep);
  return text
    .split('\r')
    .map((segment) => {
      const f = segment.split(sep);
      const name = f[0] ?? '';
      if (name === 'PID' && o.person !== undefined) {
        const p = personOf(o.person);
        while (f.length <= 7) f.push('');
        f[5] = p.name.replace('^', comp);
        f[7] = p.birthDate;
      }
      if (name === 'MSH') {
        f[9] = o.controlId;
        f[10] = 'P'; // corpus messages are often T or D: a copy is a production message (the server takes P only)
      }
      for (const i of PATIENT_FIELDS[name] ?? []) if (f[i]) f[i] = suffixed(f[i], o.patientSuffix);
      for (const i of ORDER_FIELDS[name] ?? []) if (f[i]) f[i] = suffixed(f[i], o.orderSuffix);
      return f.join(sep);
    })
    .join('\r');
}

/** A copy that is a new patient and new orders (warm-up passes, stage benches). */
export function uniqueCopy(text: string, controlId: string, suffix: string, person?: number): string {
  return messageCopy(text, {
    controlId,
    orderSuffix: suffix,
    patientSuffix: suffix,
    ...(person !== undefined ? { person } : {}),
  });
}
