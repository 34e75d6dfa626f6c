// The pictures a webview grid asks for (gallery thumbnails, inspector pictures), made one at a time in the
// order of the newest request first, remembered, and posted in small batches so the grid fills as they come.
// Shared by the class gallery, the detection gallery and the detection inspector.

/** One made picture: the image's index and its webview URI ('' when it could not be made). */
export interface MadePicture {
  index: number;
  uri: string;
}

export interface PictureQueueOptions {
  /** Pictures posted together at most. */
  batchSize: number;
  /** Makes the picture of an image: its URI, '' when it cannot be made, null to skip the index (not posted). */
  make(index: number): Promise<string | null>;
  post(batch: MadePicture[]): void;
}

export class PictureQueue {
  private readonly made = new Map<number, string>();
  /** Indices waiting for a picture, newest request first. */
  private pending: number[] = [];
  private running = false;
  private disposed = false;

  constructor(private readonly options: PictureQueueOptions) {}

  /** The picture already made for `index`, if any. */
  get(index: number): string | undefined {
    return this.made.get(index);
  }

  has(index: number): boolean {
    return this.made.has(index);
  }

  /** Queues the indices not made yet ahead of the older requests (what the user looks at now goes first). */
  putFirst(indices: readonly number[]): void {
    const wanted = indices.filter((i) => !this.made.has(i));
    this.pending = [...wanted, ...this.pending.filter((i) => !wanted.includes(i))];
  }

  /** Makes the queued pictures; a call while one runs returns at once (the running one takes the new ones). */
  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      let batch: MadePicture[] = [];
      while (this.pending.length > 0 && !this.disposed) {
        const index = this.pending.shift() as number;
        if (this.made.has(index)) continue;
        const uri = await this.options.make(index);
        if (uri === null) continue;
        this.made.set(index, uri);
        batch.push({ index, uri });
        if (batch.length >= this.options.batchSize || this.pending.length === 0) {
          this.options.post(batch);
          batch = [];
        }
      }
      if (batch.length > 0 && !this.disposed) this.options.post(batch);
    } finally {
      this.running = false;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.pending = [];
  }
}
