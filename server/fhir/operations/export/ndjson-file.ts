/** One ndjson output file written a line at a time with back-pressure, and a filtered copy of one into another. */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Resource } from '@medplum/fhirtypes';
import { stringifyJson } from '../../../json/stringify-json.js';

export class NdjsonWriter {
  private readonly stream: WriteStream;
  count = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
  }

  async write(resource: Resource): Promise<void> {
    await this.writeLine(stringifyJson(resource)); // decimals as written
  }

  async writeLine(line: string): Promise<void> {
    this.count++;
    if (!this.stream.write(`${line}\n`)) await once(this.stream, 'drain');
  }

  /** Flushes and closes; resolves with the number of lines written. */
  async close(): Promise<number> {
    this.stream.end();
    if (!this.stream.writableFinished) await once(this.stream, 'finish');
    return this.count;
  }

  destroy(): void {
    this.stream.destroy();
  }
}

const LEADING_ID = /^\{"resourceType":"[A-Za-z]+","id":"([A-Za-z0-9\-.]{1,64})"/;

/** Copies the lines of `from` into `to`, leaving out the resources whose id is in `skipIds`. */
export async function copyExcept(from: string, to: NdjsonWriter, skipIds: ReadonlySet<string>): Promise<void> {
  const lines = createInterface({ input: createReadStream(from, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const id = LEADING_ID.exec(line)?.[1] ?? (JSON.parse(line) as Resource).id ?? '';
    if (!skipIds.has(id)) await to.writeLine(line);
  }
}
