/** The query of GET /console/api/hl7/messages, checked: type, sender, status, limit and keyset paging. */
import type { Request } from 'express';
import { badRequest } from '../../fhir/errors.js';
import { HL7_MESSAGE_STATUSES, type Hl7MessageFilter } from '../admin-api.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MESSAGE_TYPE = /^[A-Z0-9]{1,10}(\^[A-Z0-9]{1,10})?$/i;

function single(query: Request['query'], name: string): string | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw badRequest(`Parameter ${name} must be given once`);
  return v;
}

function parseLimit(limit: string): number {
  if (!/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > 500)
    throw badRequest('limit must be an integer from 1 to 500');
  return Number(limit);
}

export function parseFilter(query: Request['query']): Hl7MessageFilter {
  const filter: Hl7MessageFilter = { limit: 50 };
  const limit = single(query, 'limit');
  if (limit !== undefined) filter.limit = parseLimit(limit);
  const type = single(query, 'type');
  if (type !== undefined) {
    if (!MESSAGE_TYPE.test(type)) throw badRequest('type must look like ADT or ADT^A01');
    filter.type = type.toUpperCase();
  }
  const sender = single(query, 'sender');
  if (sender !== undefined) {
    if (sender.length > 361) throw badRequest('sender is too long');
    filter.sender = sender;
  }
  const status = single(query, 'status');
  if (status !== undefined) {
    if (!(HL7_MESSAGE_STATUSES as readonly string[]).includes(status))
      throw badRequest(`status must be one of ${HL7_MESSAGE_STATUSES.join(', ')}`);
    filter.status = status;
  }
  const before = single(query, 'before');
  if (before !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T/.test(before) || Number.isNaN(Date.parse(before)))
      throw badRequest('before must be an ISO 8601 date-time');
    filter.before = before;
  }
  const beforeId = single(query, 'beforeId');
  if (beforeId !== undefined) {
    if (!filter.before) throw badRequest('beforeId needs before');
    if (!UUID.test(beforeId)) throw badRequest('beforeId must be a message id');
    filter.beforeId = beforeId;
  }
  return filter;
}
