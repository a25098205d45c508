/** One held notice as the digest lists it: plain text (the formatters escape it) and its link. */
export interface DigestItem {
  /** The effect key of the held notice: a replay finds it listed and adds nothing. */
  key: string;
  text: string;
  url?: string;
}

/** What a digest message shows: the held notices, how many more were held, when quiet hours ended. */
export interface DigestContent {
  items: readonly DigestItem[];
  /** Held notices beyond what the state item lists: counted, not listed. */
  more?: number;
  /** `08:00 Europe/Berlin`. */
  endLabel: string;
}
