import type { ExportBookmark } from '../query';

/** One export format, written piece by piece as pages of bookmarks arrive. */
export interface ExportWriter {
  readonly contentType: string;
  /** A fixed, safe name for Content-Disposition. */
  readonly filename: string;
  header(context: { username: string; total: number; now: Date }): string;
  item(bookmark: ExportBookmark): string;
  /** Between two items (JSON needs commas). */
  readonly separator: string;
  footer(context: { username: string; total: number; now: Date }): string;
}
