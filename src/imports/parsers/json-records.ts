/**
 * Streams the records out of a JSON export without holding the file:
 * Pinboard's top-level array, or an ActivityStreams Collection's `items`
 * (or `orderedItems`). Each record is assembled on its own with hard caps
 * (string length, array length, keys, depth), so a hostile file cannot make
 * one record huge; everything outside the records is read and dropped.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parser } from 'stream-json';
import { ImportFileError } from '../detect';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export type JsonLayout = 'array' | 'collection';

const MAX_STRING = 100_001;
const MAX_KEY = 256;
const MAX_ARRAY = 1000;
const MAX_KEYS = 200;
const MAX_RECORD_DEPTH = 8;
const MAX_DEPTH = 256;
const ITEM_KEYS = new Set(['items', 'orderedItems']);

type Role = 'root' | 'items' | 'record' | 'inner' | 'skip';

interface Frame {
  readonly role: Role;
  readonly target: Json[] | JsonObject | undefined;
  key: string | undefined;
  keys: number;
}

interface Token {
  name: string;
  value?: unknown;
}

/** Yields each record's JSON value, in file order. Throws ImportFileError for bad JSON. */
export async function* readJsonRecords(
  chunks: AsyncIterable<string>,
  layout: JsonLayout,
): AsyncGenerator<Json> {
  const tokens = parser.asStream({ packValues: false, streamValues: true });
  const feeding = pipeline(Readable.from(chunks), tokens).catch((error: unknown) => {
    tokens.destroy(error as Error);
  });
  const reader = new RecordAssembler(layout);
  try {
    for await (const token of tokens as AsyncIterable<Token>) {
      const record = reader.push(token);
      if (record !== NOTHING) yield record;
    }
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const reason = message.replace(/^Parser cannot parse input: /, '').slice(0, 200);
    throw new ImportFileError(`The JSON is invalid: ${reason}`);
  } finally {
    tokens.destroy();
    await feeding;
  }
  reader.finish();
}

const NOTHING = Symbol('nothing');

class RecordAssembler {
  private readonly stack: Frame[] = [];
  private text = '';
  private started = false;
  private sawItems = false;

  constructor(private readonly layout: JsonLayout) {}

  push(token: Token): Json | typeof NOTHING {
    switch (token.name) {
      case 'startObject':
      case 'startArray':
        this.open(token.name === 'startArray');
        return NOTHING;
      case 'endObject':
      case 'endArray':
        return this.close();
      case 'startKey':
      case 'startString':
      case 'startNumber':
        this.text = '';
        return NOTHING;
      case 'stringChunk':
      case 'numberChunk':
        if (this.text.length < MAX_STRING) this.text += String(token.value);
        return NOTHING;
      case 'endKey': {
        const top = this.stack.at(-1);
        if (top) top.key = this.text.slice(0, MAX_KEY);
        return NOTHING;
      }
      case 'endString':
        return this.value(this.text.slice(0, MAX_STRING));
      case 'endNumber':
        return this.value(Number(this.text));
      case 'nullValue':
      case 'trueValue':
      case 'falseValue':
        return this.value(token.value as Json);
      default:
        return NOTHING;
    }
  }

  finish(): void {
    if (this.layout === 'collection' && !this.sawItems) {
      throw new ImportFileError(
        'The JSON object has no "items" list: expected an ActivityStreams Collection.',
      );
    }
  }

  private open(isArray: boolean): void {
    if (this.stack.length >= MAX_DEPTH) {
      throw new ImportFileError(`The JSON is nested more than ${MAX_DEPTH} levels deep.`);
    }
    const top = this.stack.at(-1);
    if (!top) {
      this.openRoot(isArray);
      return;
    }
    const container: Json[] | JsonObject = isArray ? [] : (Object.create(null) as JsonObject);
    if (top.role === 'root') {
      const isItems = isArray && top.key !== undefined && ITEM_KEYS.has(top.key) && !this.sawItems;
      if (isItems) this.sawItems = true;
      this.stack.push(frame(isItems ? 'items' : 'skip', undefined));
      top.key = undefined;
    } else if (top.role === 'items') {
      this.stack.push(frame('record', container));
    } else if (top.role === 'skip' || this.depthInRecord() >= MAX_RECORD_DEPTH) {
      this.stack.push(frame('skip', undefined));
      if (top.role !== 'skip') top.key = undefined;
    } else {
      this.attach(top, container);
      this.stack.push(frame('inner', container));
    }
  }

  private openRoot(isArray: boolean): void {
    if (this.started) throw new ImportFileError('The JSON holds more than one top-level value.');
    this.started = true;
    if (this.layout === 'array') {
      if (!isArray) throw new ImportFileError('Expected a JSON array of bookmarks.');
      this.sawItems = true;
      this.stack.push(frame('items', undefined));
    } else {
      if (isArray) throw new ImportFileError('Expected an ActivityStreams JSON object.');
      this.stack.push(frame('root', undefined));
    }
  }

  private close(): Json | typeof NOTHING {
    const closed = this.stack.pop();
    return closed?.role === 'record' ? (closed.target as Json) : NOTHING;
  }

  private value(value: Json): Json | typeof NOTHING {
    const top = this.stack.at(-1);
    if (!top) {
      throw new ImportFileError(
        'Expected a JSON array or object of bookmarks, not a single value.',
      );
    }
    if (top.role === 'items') return value;
    if (top.role === 'record' || top.role === 'inner') this.attach(top, value);
    else top.key = undefined;
    return NOTHING;
  }

  private attach(top: Frame, value: Json): void {
    const target = top.target;
    if (Array.isArray(target)) {
      if (target.length < MAX_ARRAY) target.push(value);
    } else if (target && top.key !== undefined) {
      if (top.keys < MAX_KEYS) {
        target[top.key] = value;
        top.keys++;
      }
      top.key = undefined;
    }
  }

  private depthInRecord(): number {
    let depth = 0;
    for (let i = this.stack.length - 1; i >= 0 && this.stack[i]!.role !== 'items'; i--) depth++;
    return depth;
  }
}

function frame(role: Role, target: Json[] | JsonObject | undefined): Frame {
  return { role, target, key: undefined, keys: 0 };
}
