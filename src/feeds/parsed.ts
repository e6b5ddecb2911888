/** What the parser gives the processor: one shape for every feed format. */
export type FeedFormat = 'rss' | 'rdf' | 'atom' | 'json';

/** How to read a title: as plain text (Atom type="text", JSON Feed) or as HTML (RSS). */
export type TitleType = 'text' | 'html';

export interface ParsedItem {
  readonly id: string | null;
  /** As the feed gave it; titleType says whether "<b>" in it is markup or text. */
  readonly title: string | null;
  readonly titleType: TitleType;
  readonly link: string | null;
  /** HTML (plain text arrives escaped): RSS description, Atom summary, JSON summary. */
  readonly summary: string | null;
  /** The full content, HTML (plain text arrives escaped). */
  readonly content: string | null;
  readonly published: Date | null;
  readonly updated: Date | null;
  /** What the parser saw, for the raw column and the JSON API. */
  readonly raw: Record<string, unknown>;
}

export interface ParsedFeed {
  readonly format: FeedFormat;
  readonly title: string | null;
  readonly titleType: TitleType;
  /** HTML (plain text arrives escaped). */
  readonly description: string | null;
  /** The site the feed belongs to. */
  readonly siteUrl: string | null;
  readonly language: string | null;
  readonly updated: Date | null;
  readonly items: readonly ParsedItem[];
  /** The feed's header as the library read it, without items; `url` is siteUrl. */
  readonly meta: Record<string, unknown>;
}
