/**
 * Pinboard JSON and ActivityStreams records, from their JSON values to the
 * common RawRecord. Fields of the wrong type are treated as missing.
 */
import { parseIsoDate, type RawRecord, splitTags } from '../records';
import type { Json, JsonObject } from './json-records';

/** `{href, description (title), extended, tags "a b", time, shared "yes"|"no"}` */
export function pinboardRecord(value: Json, index: number): RawRecord {
  if (!isObject(value)) return notAnObject(index);
  const time = parseIsoDate(value.time);
  return {
    index,
    url: text(value.href),
    title: text(value.description) ?? '',
    description: text(value.extended) ?? '',
    tags: tagList(value.tags),
    createdAt: time,
    updatedAt: time,
    private: value.shared === 'no' || value.shared === false ? true : undefined,
  };
}

/** A `Link`: `{url, name, summary, feedUrl, published, updated, tag: [..], private?}` */
export function activityRecord(value: Json, index: number): RawRecord {
  if (!isObject(value)) return notAnObject(index);
  const createdAt = parseIsoDate(value.published);
  return {
    index,
    url: linkUrl(value.url) ?? text(value.href),
    title: text(value.name) ?? '',
    description: text(value.summary) ?? text(value.content) ?? '',
    tags: tagList(value.tag),
    createdAt,
    updatedAt: parseIsoDate(value.updated) ?? createdAt,
    private: value.private === true ? true : undefined,
    feedUrl: text(value.feedUrl),
  };
}

function notAnObject(index: number): RawRecord {
  return { index, title: '', description: '', tags: [], error: 'The record is not a JSON object.' };
}

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `url` may be a string, a Link object with `href`, or a list of either. */
function linkUrl(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return linkUrl(value[0]);
  if (value && isObject(value)) return text(value.href);
  return undefined;
}

/** Tags as a space/comma-separated string, or a list of strings or `{name}` objects. */
function tagList(value: Json | undefined): string[] {
  if (!Array.isArray(value)) return splitTags(text(value));
  const tags: string[] = [];
  for (const item of value) {
    if (typeof item === 'string') tags.push(item);
    else if (item && isObject(item) && typeof item.name === 'string') {
      tags.push(item.name.replace(/^#/, ''));
    }
  }
  return tags;
}
