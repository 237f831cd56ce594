/**
 * The shape of the mapping data in mappings/ (validated when loaded, so a bad site mapping fails at start-up):
 *  - messages.json: event (MSH-9 code^event) → template; template → entries (segment → resource);
 *  - segments/<name>.json: the field rules of one segment → resource map.
 */
import { z } from 'zod';
import { TRANSFORM_NAMES } from './transforms.js';

/** SEG-field[.component[.subcomponent]] */
export const FIELD_PATH = /^[A-Z][A-Z0-9]{2}-\d+(\.\d+){0,2}$/;

export const ConditionSpec = z.union([
  z.object({ present: z.string().regex(FIELD_PATH) }).strict(),
  z.object({ absent: z.string().regex(FIELD_PATH) }).strict(),
  z.object({ field: z.string().regex(FIELD_PATH), in: z.array(z.string()).min(1) }).strict(),
  z.object({ field: z.string().regex(FIELD_PATH), notIn: z.array(z.string()).min(1) }).strict(),
]);
export type ConditionSpec = z.infer<typeof ConditionSpec>;

export const FieldRuleSpec = z
  .object({
    /** FHIR path: `a.b`, `a[]` appends, `a[0]` indexes, `value[x]` takes the type from the transform. */
    path: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*(\[(\d+|x)?\])?(\.[a-zA-Z][a-zA-Z0-9]*(\[(\d+|x)?\])?)*$/),
    from: z.string().regex(FIELD_PATH).optional(),
    type: z.enum(TRANSFORM_NAMES).optional(),
    table: z.string().optional(),
    /** One value per repetition of the field. */
    repeat: z.boolean().optional(),
    /** Take the values from each segment of this type that directly follows the current one (NTE notes). */
    following: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{2}$/)
      .optional(),
    /**
     * Take the values from every segment of this type after the current one, up to the next segment of the current
     * type.
     */
    within: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{2}$/)
      .optional(),
    /** A fixed value. */
    value: z.unknown().optional(),
    /** Reference to the resource of another entry (by its `as` key). */
    ref: z.string().optional(),
    /** References to every resource mapped from segments of this type that belong to the current segment. */
    children: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{2}$/)
      .optional(),
    /** With children: only resources of this type (an OBX may become an Observation or a DocumentReference). */
    childType: z.string().optional(),
    /** Only set when the path has no value yet (fallbacks). */
    orElse: z.boolean().optional(),
    /** The field must be valued: absent → error 101 (required field missing). */
    required: z.boolean().optional(),
    /** A malformed value rejects the message (AE). Otherwise it is dropped with a warning (ERR severity W). */
    strict: z.boolean().optional(),
    when: ConditionSpec.optional(),
  })
  .strict()
  .refine((r) => [r.from, r.value, r.ref, r.children].filter((x) => x !== undefined).length === 1, {
    message: 'a rule needs exactly one of from, value, ref, children',
  });
export type FieldRuleSpec = z.infer<typeof FieldRuleSpec>;

export const IdentitySpec = z.union([
  /** Conditional update `PUT Type?identifier=system|value` from a CX/EI field (first valued repetition). */
  z
    .object({ identifier: z.string().regex(FIELD_PATH), type: z.enum(['CX', 'EI']), required: z.boolean().optional() })
    .strict(),
  /** `PUT Type/<id>` with an id derived from these fields (and the sender): repeated messages update. */
  z
    .object({
      derived: z.array(z.string().regex(FIELD_PATH)).min(1),
      /** Set apart ids two maps of one resource type derive from the same values (RXO and RXE of one order). */
      tag: z.string().min(1).optional(),
    })
    .strict(),
]);
export type IdentitySpec = z.infer<typeof IdentitySpec>;

export const EntrySpec = z
  .object({
    segment: z.string().regex(/^[A-Z][A-Z0-9]{2}$/),
    /** Name of the segment map (mappings/segments/<map>.json). */
    map: z.string(),
    as: z.string().optional(),
    repeat: z.boolean().optional(),
    required: z.boolean().optional(),
    when: ConditionSpec.optional(),
    identity: z.array(IdentitySpec).optional(),
    /** Extra rules for this message (e.g. an event-specific status). */
    fields: z.array(FieldRuleSpec).optional(),
    /** merge-patient: MRG names the patient that the `target` entry's patient replaces (A40). */
    action: z.enum(['upsert', 'merge-patient']).optional(),
    target: z.string().optional(),
  })
  .strict();
export type EntrySpec = z.infer<typeof EntrySpec>;

export const TemplateSpec = z
  .object({ entries: z.array(EntrySpec).min(1), description: z.string().optional() })
  .strict();
export type TemplateSpec = z.infer<typeof TemplateSpec>;

export const MessagesSpec = z
  .object({
    description: z.string().optional(),
    /** "ADT^A01" → template name. */
    events: z.record(z.string().regex(/^[A-Z0-9]{3}\^[A-Z0-9]{3}$/), z.string()),
    templates: z.record(z.string(), TemplateSpec),
  })
  .strict();
export type MessagesSpec = z.infer<typeof MessagesSpec>;

export const SegmentMapSpec = z
  .object({
    description: z.string().optional(),
    segment: z.string().regex(/^[A-Z][A-Z0-9]{2}$/),
    resource: z.string().regex(/^[A-Z][A-Za-z]+$/),
    /** Default identity, used when the entry names none. */
    identity: z.array(IdentitySpec).optional(),
    fields: z.array(FieldRuleSpec),
  })
  .strict();
export type SegmentMapSpec = z.infer<typeof SegmentMapSpec>;
