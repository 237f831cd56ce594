/**
 * The Binary resource as FHIR XML with its bytes in `<data value="…"/>`, streamed as binary-json-stream.ts streams
 * the JSON: the resource's own XML (server/fhir/xml, without data), its closing tag held back, then `<data value="`,
 * the bytes in base64 as they come from the content store, `"/></Binary>`. `data` is the last element of Binary
 * (id, meta, implicitRules, language, contentType, securityContext, data), so the element order stays the schema's;
 * base64 needs no escaping in an attribute. Memory stays at one chunk whatever the size.
 */
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import type { Binary } from '@medplum/fhirtypes';
import { writeFhirXml } from '../xml/write-fhir-xml.js';
import { base64Between } from './binary-json-stream.js';

/** Throws XmlUnwritableError (before anything is sent) when the resource's text cannot be XML. */
export function binaryXmlStream(binary: Binary, bytes: Readable, size: number): Readable {
  const { data: _data, ...rest } = binary;
  const xml = writeFhirXml(rest);
  // no bytes: no data element (XML has no empty value attribute)
  if (size === 0) {
    bytes.destroy();
    return ReadableStream.from([Buffer.from(xml)]);
  }
  const close = '</Binary>';
  const open = xml.slice(0, xml.lastIndexOf(close));
  return ReadableStream.from(base64Between(`${open}<data value="`, bytes, `"/>${close}`));
}
