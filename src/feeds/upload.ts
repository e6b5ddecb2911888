/**
 * Reads an OPML upload: a multipart form's first file (the /feeds form, or
 * `curl -F opml=@subs.opml`) or the raw XML body, received by the same rules
 * as every upload (src/uploads/receive.ts). OPML files are small, and the cap
 * keeps them so: the text is read whole and its file removed at once.
 */
import fsp from 'node:fs/promises';
import type { ParameterizedContext } from 'koa';
import { removeUpload } from '../uploads/files';
import { receiveUpload } from '../uploads/receive';

export const OPML_MAX_BYTES = 2 * 1024 * 1024;

export async function readOpmlUpload(ctx: ParameterizedContext, dataDir: string): Promise<string> {
  const upload = await receiveUpload(ctx, {
    dataDir,
    maxBytes: OPML_MAX_BYTES,
    tooLarge: `OPML files are at most ${OPML_MAX_BYTES / 1024 / 1024} MB.`,
    missing: 'Choose an OPML file to import.',
  });
  try {
    return await fsp.readFile(upload.path, 'utf8');
  } finally {
    await removeUpload(upload.path);
  }
}
