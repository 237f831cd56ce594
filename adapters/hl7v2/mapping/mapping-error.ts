/**
 * A message that cannot be mapped: carries the HL7 location and table 0357 code so the inbound handler can write
 * an ERR segment (AE). Thrown by transforms and by the engine's structural checks.
 */
import type { ErrorCode } from '../ack/ack-builder.js';

export class MappingError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly location: { segment?: string; sequence?: number; field?: number; component?: number } = {},
  ) {
    super(message);
    this.name = 'MappingError';
  }
}
