// Types of observation-value.js for the tests that import it (the console itself is plain browser JavaScript).
import type { CodeableConcept, Observation } from '@medplum/fhirtypes';

export const SYSTOLIC: '8480-6';
export const DIASTOLIC: '8462-4';
export function codeText(c: CodeableConcept | undefined): string;
export function round(v: unknown): unknown;
export function bloodPressureText(o: Observation): string | undefined;
export function observationValueText(o: Observation): string;
