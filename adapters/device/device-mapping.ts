/**
 * Devices (nilecare_devices, PostgreSQL) mapping, pure: Device → devices, an Observation with a device →
 * device_readings (one row per numeric value, components split; written in batches), DetectedIssue or Flag
 * raised by a device → device_alerts. Patient ids go into UUID columns: a UUID FHIR id as is, any other id as
 * the stable UUID of `Patient/<id>` (fhir_reference_ids names it); a merged patient's survivor. Instants are
 * written with their UTC offset (TIMESTAMPTZ never reads them in the session's zone). Readings older than the
 * retention window (nilecare_maintain / TimescaleDB drop them) are not written again by a replay or a rebuild.
 */
import type { DetectedIssue, Device, Flag, Observation, Patient, Reference, Resource } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import { mergeWrites, patientColumnId } from '../outbox/patient-merge.js';
import {
  codingOf,
  isoInstant,
  MappingError,
  parseReference,
  row,
  stableUuid,
  textOf,
  truncate,
  type Row,
  type RowWrite,
} from '../outbox/rows.js';

export const DEVICE_PATIENT_TABLES = {
  devices: 'assigned_patient_id',
  device_readings: 'patient_id',
  device_alerts: 'patient_id',
};

function patientOf(ref: Reference | undefined, inputs: Pick<MapInputs, 'survivors'>): string | null {
  const parsed = parseReference(ref?.reference);
  return parsed?.type === 'Patient' ? patientColumnId(parsed.id, inputs.survivors) : null;
}

const DEVICE_STATUS = {
  active: 'online',
  inactive: 'offline',
  'entered-in-error': 'decommissioned',
  unknown: 'offline',
} as const;
const SEVERITY = { high: 'high', moderate: 'medium', low: 'low' } as const;

export function mapDevice(device: Device, version: number, inputs: Pick<MapInputs, 'survivors'>): RowWrite[] {
  const what = `Device/${device.id}`;
  return [
    {
      op: 'upsert',
      table: 'devices',
      fhirId: device.id!,
      version,
      id: stableUuid(what),
      values: row({
        device_type: truncate(textOf(device.type) ?? 'unspecified', 50),
        manufacturer: truncate(device.manufacturer, 255) ?? null,
        model: truncate(device.modelNumber ?? device.deviceName?.[0]?.name, 255) ?? null,
        serial_number: truncate(
          device.serialNumber ??
            device.udiCarrier?.[0]?.deviceIdentifier ??
            device.distinctIdentifier ??
            `FHIR-${device.id}`,
          255,
        ),
        location: truncate(device.location?.display ?? parseReference(device.location?.reference)?.id, 255) ?? null,
        status: DEVICE_STATUS[device.status as keyof typeof DEVICE_STATUS] ?? 'offline',
        assigned_patient_id: patientOf(device.patient, inputs),
        deleted_at: null,
      }),
    },
  ];
}

/** The readings of an Observation (value and numeric components), keyed (device, reading type, instant). */
export function readingsOf(obs: Observation, inputs: Pick<MapInputs, 'survivors'>): Row[] {
  const at = obs.effectiveDateTime ?? obs.effectiveInstant ?? obs.effectivePeriod?.start ?? obs.issued;
  if (!at) throw new MappingError(`Observation/${obs.id}: a device reading needs an effective time`);
  const timestamp = new Date(at).toISOString();
  const quality = obs.status === 'preliminary' ? 'poor' : 'good';
  const patient = patientOf(obs.subject, inputs);
  const one = (code: Parameters<typeof codingOf>[0], q: Observation['valueQuantity']): Row | undefined =>
    q?.value === undefined
      ? undefined
      : row({
          device_id: { ref: 'device' },
          patient_id: patient,
          reading_type: truncate(codingOf(code)?.code ?? textOf(code), 50)!,
          reading_value: q.value,
          reading_unit: truncate(q.unit ?? q.code, 20) ?? null,
          timestamp,
          quality,
        });
  const rows = [
    one(obs.code, obs.valueQuantity),
    ...(obs.component ?? []).map((c) => one(c.code, c.valueQuantity)),
  ].filter((r): r is Row => !!r && !!r.reading_type);
  return rows;
}

/** Removal of one projected reading (never a reading the device service ingested itself). */
const dropReading = (deviceId: string, r: Row): RowWrite => ({
  op: 'deleteWhere',
  table: 'device_readings',
  where: {
    device_id: stableUuid(`Device/${deviceId}`),
    reading_type: r.reading_type!,
    timestamp: r.timestamp!,
    source: 'fhir',
  },
});

export function mapDeviceObservation(
  obs: Observation,
  inputs: Pick<MapInputs, 'survivors' | 'readingsNotBefore'>,
): RowWrite[] {
  const device = parseReference(obs.device?.reference);
  if (device?.type !== 'Device') return [];
  const what = `Observation/${obs.id}`;
  const all = readingsOf(obs, inputs);
  const lookup: RowWrite = {
    op: 'lookup',
    ref: 'device',
    table: 'devices',
    key: { fhir_id: device.id },
    missing: `${what}: Device/${device.id} is not in the devices database (yet)`,
  };
  // Withdrawn: remove its readings (devices rows projected from FHIR have the stable id of `Device/<id>`).
  if (obs.status === 'entered-in-error' || obs.status === 'cancelled') return all.map((r) => dropReading(device.id, r));
  if (all.length === 0) throw new MappingError(`${what}: no numeric value to record as a device reading`);
  const rows = all.filter((r) => String(r.timestamp) >= inputs.readingsNotBefore);
  if (rows.length === 0) return []; // past the retention window: not written again
  return [
    lookup,
    ...rows.map(
      (values) =>
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by tsc: typescript-eslint misjudges the contextual type here
        ({
          op: 'bulkUpsert',
          table: 'device_readings',
          conflict: ['device_id', 'reading_type', 'timestamp'],
          values,
        }) as RowWrite,
    ),
  ];
}

export function mapDeviceAlert(
  alert: DetectedIssue | Flag,
  version: number,
  inputs: Pick<MapInputs, 'survivors'>,
): RowWrite[] {
  const what = `${alert.resourceType}/${alert.id}`;
  const device =
    alert.resourceType === 'DetectedIssue'
      ? [alert.author, ...(alert.implicated ?? [])]
          .map((r) => parseReference(r?.reference))
          .find((r) => r?.type === 'Device')
      : [parseReference(alert.author?.reference), parseReference(alert.subject?.reference)].find(
          (r) => r?.type === 'Device',
        );
  if (!device) return [];
  const patient = patientOf(alert.resourceType === 'DetectedIssue' ? alert.patient : alert.subject, inputs);
  const message = alert.resourceType === 'DetectedIssue' ? (alert.detail ?? textOf(alert.code)) : textOf(alert.code);
  if (!message) throw new MappingError(`${what} has no code or detail (device_alerts.alert_message is required)`);
  const at =
    alert.resourceType === 'DetectedIssue'
      ? (alert.identifiedDateTime ?? alert.identifiedPeriod?.start)
      : alert.period?.start;
  return [
    {
      op: 'lookup',
      ref: 'device',
      table: 'devices',
      key: { fhir_id: device.id },
      missing: `${what}: Device/${device.id} is not in the devices database (yet)`,
    },
    {
      op: 'upsert',
      table: 'device_alerts',
      fhirId: alert.id!,
      version,
      id: stableUuid(what),
      values: row({
        device_id: { ref: 'device' },
        patient_id: patient ?? null,
        alert_type: truncate(codingOf(alert.code)?.code ?? textOf(alert.code) ?? alert.resourceType, 50),
        severity:
          alert.resourceType === 'DetectedIssue'
            ? (SEVERITY[alert.severity as keyof typeof SEVERITY] ?? 'medium')
            : 'medium',
        alert_message: message,
        timestamp: isoInstant(at ?? alert.meta?.lastUpdated),
      }),
    },
  ];
}

/**
 * Removals of the previous version's readings whose key (device, reading type, instant) the new version no longer has.
 */
export function staleReadings(
  obs: Observation,
  previous: Resource | undefined,
  inputs: Pick<MapInputs, 'survivors'>,
): RowWrite[] {
  if (previous?.resourceType !== 'Observation') return [];
  const oldDevice = parseReference(previous.device?.reference);
  if (oldDevice?.type !== 'Device') return [];
  let oldRows: Row[];
  try {
    oldRows = readingsOf(previous, inputs);
  } catch {
    return []; // the previous version had no readings to leave behind
  }
  // Keys the new version maps itself (upserted, or removed when it is withdrawn) are left to its own mapping.
  const device = parseReference(obs.device?.reference);
  let kept = new Set<string>();
  if (device?.type === 'Device' && device.id === oldDevice.id) {
    try {
      kept = new Set(readingsOf(obs, inputs).map((r) => `${String(r.reading_type)}|${String(r.timestamp)}`));
    } catch {
      // the new version has no readable time: everything of the old one goes
    }
  }
  return oldRows
    .filter((r) => !kept.has(`${String(r.reading_type)}|${String(r.timestamp)}`))
    .map((r) => dropReading(oldDevice.id, r));
}

export function mapDeviceResource(resource: Resource, version: number, inputs: MapInputs): RowWrite[] {
  switch (resource.resourceType) {
    case 'Device':
      return mapDevice(resource, version, inputs);
    case 'Observation':
      return [...staleReadings(resource, inputs.previous, inputs), ...mapDeviceObservation(resource, inputs)];
    case 'DetectedIssue':
    case 'Flag':
      return mapDeviceAlert(resource, version, inputs);
    case 'Patient':
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by tsc: typescript-eslint misjudges the contextual type here
      return mergeWrites(resource as Patient, inputs.survivors, DEVICE_PATIENT_TABLES);
    default:
      return [];
  }
}

export function mapDeviceDelete(resourceType: string, id: string, version: number, inputs: MapInputs): RowWrite[] {
  const previous = inputs.previous;
  switch (resourceType) {
    case 'Device':
      return [{ op: 'delete', table: 'devices', fhirId: id, version, soft: true }];
    case 'DetectedIssue':
    case 'Flag':
      return [{ op: 'delete', table: 'device_alerts', fhirId: id, version, soft: false }];
    case 'Observation': {
      if (previous?.resourceType !== 'Observation') return [];
      return mapDeviceObservation({ ...previous, status: 'entered-in-error' }, inputs);
    }
    default:
      return [];
  }
}
